package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.crypto.KeyringException;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.TestSegments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encryption as an operator meets it: through the agent, the client's exit codes and start-up refusals. */
class EncryptionIT {
    private static final String SEGMENT = "000000010000000000000005";

    @TempDir
    Path dir;

    @Test
    void aWrongKeyStopsRecoveryAndWritesNothing() throws Exception {
        Path keyring = dir.resolve("keyring");
        KeyringFile.addKey(keyring, Optional.of("main"), true, false, new SecureRandom());
        Path segment = TestSegments.write(dir.resolve("data"), SEGMENT, TestSegments.SYSTEM_ID, 1);
        Path restore = Files.createDirectories(dir.resolve("restore/pg_wal"));
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), Map.of("keyring-path", keyring.toString()))) {
            assertEquals(0, agent.client(dir.resolve("data"), "push", "pg_wal/" + SEGMENT, SEGMENT).exitCode());
            assertEquals(0, agent.client(restore.getParent(), "fetch", SEGMENT, "pg_wal/RECOVERYXLOG").exitCode());
            assertArrayEquals(Files.readAllBytes(segment), Files.readAllBytes(restore.resolve("RECOVERYXLOG")));
            Files.delete(restore.resolve("RECOVERYXLOG"));
        }
        // The keyring is lost and re-created under the same id: a different key. The agent refuses to start with it.
        Files.delete(keyring);
        KeyringFile.addKey(keyring, Optional.of("main"), true, false, new SecureRandom());
        RepositoryFormatException refused = assertThrows(RepositoryFormatException.class,
                () -> RunningAgent.start(dir.resolve("agent"), Map.of("keyring-path", keyring.toString())));
        assertTrue(refused.getMessage().contains("key main"), refused.getMessage());
        // A repository written before key checks existed has none: then the wrong key shows at fetch, which stops recovery.
        try (var checks = Files.list(dir.resolve("agent/repo/walden.keys"))) {
            for (Path check : (Iterable<Path>) checks::iterator) {
                Files.delete(check);
            }
        }
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), Map.of("keyring-path", keyring.toString()))) {
            RunningAgent.ClientRun run = agent.client(restore.getParent(), "fetch", SEGMENT, "pg_wal/RECOVERYXLOG");
            assertEquals(126, run.exitCode(), "recovery must stop, not end early");
            assertTrue(run.stderr().contains("data key (wrong key main or tampered header) failed authentication"), run.stderr());
            assertEquals(1, run.stderr().strip().lines().count());
            assertFalse(Files.exists(restore.resolve("RECOVERYXLOG")));
        }
    }

    @Test
    void theAgentRefusesToStartWithAnExposedKeyringOrAMismatchedRepository() throws Exception {
        Path keyring = dir.resolve("keyring");
        KeyringFile.addKey(keyring, Optional.empty(), true, false, new SecureRandom());
        Files.setPosixFilePermissions(keyring, PosixFilePermissions.fromString("rw-r--r--"));
        KeyringException exposed = assertThrows(KeyringException.class,
                () -> RunningAgent.start(dir.resolve("agent"), Map.of("keyring-path", keyring.toString())));
        assertTrue(exposed.getMessage().contains("HINT: chmod 600"), exposed.getMessage());
        Files.setPosixFilePermissions(keyring, PosixFilePermissions.fromString("rw-------"));

        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), Map.of())) {
            TestSegments.write(dir.resolve("data"), SEGMENT, TestSegments.SYSTEM_ID, 1);
            assertEquals(0, agent.client(dir.resolve("data"), "push", "pg_wal/" + SEGMENT, SEGMENT).exitCode());
        }
        RepositoryFormatException mixed = assertThrows(RepositoryFormatException.class,
                () -> RunningAgent.start(dir.resolve("agent"), Map.of("keyring-path", keyring.toString())));
        assertTrue(mixed.getMessage().contains("written with encryption none"), mixed.getMessage());
    }
}
