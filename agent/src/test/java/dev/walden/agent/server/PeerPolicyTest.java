package dev.walden.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerPolicyTest {
    @TempDir
    Path dir;

    @Test
    void allowsTheAgentsOwnUserAndTheListedOnes() throws Exception {
        Path passwd = Files.writeString(dir.resolve("passwd"), """
                root:x:0:0:root:/root:/bin/bash
                postgres:x:101:104:PostgreSQL administrator:/var/lib/postgresql:/bin/bash
                backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
                """);
        PeerPolicy policy = PeerPolicy.of(List.of("backup", "2000"), 101, passwd);
        assertTrue(policy.allows(101));
        assertTrue(policy.allows(34));
        assertTrue(policy.allows(2000));
        assertFalse(policy.allows(0), "root is not let in unless listed");
        assertEquals("postgres, backup, 2000", policy.describe());
    }

    @Test
    void anUnknownUserIsAStartUpError() throws Exception {
        Path passwd = Files.writeString(dir.resolve("passwd"), "postgres:x:101:104::/:/bin/sh\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeerPolicy.of(List.of("pgadmin"), 101, passwd));
        assertEquals("allowed-users names 'pgadmin', which is not a user on this host", e.getMessage());
    }
}
