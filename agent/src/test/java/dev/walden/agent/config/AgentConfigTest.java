package dev.walden.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreValid() {
        AgentConfig config = AgentConfig.defaults();
        assertEquals(Path.of("/run/walden/walden.sock"), config.socketPath());
        assertEquals(3, config.compressLevel());
        assertEquals(0660, config.socketMode());
    }

    @Test
    void commandLineBeatsEnvironmentBeatsFileBeatsDefault() throws Exception {
        Path file = Files.writeString(dir.resolve("agent.conf"), """
                # comment
                compress-level = 5
                worker-threads = 2
                repo-path = /srv/walden
                """);
        AgentConfig config = AgentConfig.load(file,
                Map.of("WALDEN_COMPRESS_LEVEL", "7", "WALDEN_WORKER_THREADS", "3", "UNRELATED", "x"),
                Map.of("compress-level", "9"));
        assertEquals(9, config.compressLevel());
        assertEquals(3, config.workerThreads());
        assertEquals(Path.of("/srv/walden"), config.repoPath());
    }

    @Test
    void everyProblemIsReportedWithWhereItCameFrom() throws Exception {
        Path file = Files.writeString(dir.resolve("agent.conf"), """
                compress-level = 99
                repo-path = relative/dir
                no-such-option = 1
                garbage line
                """);
        ConfigException e = assertThrows(ConfigException.class,
                () -> AgentConfig.load(file, Map.of("WALDEN_SOCKET_MODE", "rwx"), Map.of("bogus", "1")));
        String message = e.getMessage();
        assertTrue(message.contains("compress-level = '99' (" + file + " line 1): must be between 1 and 19, got 99"), message);
        assertTrue(message.contains("repo-path = 'relative/dir' (" + file + " line 2): must be an absolute path"), message);
        assertTrue(message.contains(file + " line 3: unknown option 'no-such-option'"), message);
        assertTrue(message.contains(file + " line 4: expected 'key = value'"), message);
        assertTrue(message.contains("socket-mode = 'rwx' (environment WALDEN_SOCKET_MODE)"), message);
        assertTrue(message.contains("unknown option --bogus"), message);
    }

    @Test
    void aMissingFileIsAClearError() {
        ConfigException e = assertThrows(ConfigException.class, () -> AgentConfig.load(dir.resolve("absent.conf"), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void encryptionFollowsTheKeyringAndTheRepositoryLocation() throws Exception {
        assertTrue(AgentConfig.defaults().encryption().equals("auto") && !AgentConfig.defaults().encrypted());
        AgentConfig withKeyring = AgentConfig.load(null, Map.of("WALDEN_KEYRING_PATH", "/etc/walden/keyring"), Map.of());
        assertTrue(withKeyring.encrypted(), "auto turns encryption on when a keyring is configured");

        ConfigException on = assertThrows(ConfigException.class, () -> AgentConfig.load(null, Map.of(), Map.of("encryption", "on")));
        assertTrue(on.getMessage().contains("encryption = on needs keyring-path"), on.getMessage());
        ConfigException off = assertThrows(ConfigException.class,
                () -> AgentConfig.load(null, Map.of(), Map.of("encryption", "off", "keyring-path", "/k")));
        assertTrue(off.getMessage().contains("encryption = off but keyring-path is set"), off.getMessage());

        assertTrue(AgentOptions.encryptionProblem("repo-type", "s3", true, "auto", false).orElseThrow()
                .contains("repo-type = s3 stores WAL off this host, so it must be encrypted"));
        assertTrue(AgentOptions.encryptionProblem("repo-type", "s3", true, "off", false).isEmpty(), "explicitly off is allowed");
        assertTrue(AgentOptions.encryptionProblem("repo-type", "s3", true, "auto", true).isEmpty());
        assertTrue(AgentOptions.encryptionProblem("repo-type", "local", false, "auto", false).isEmpty());
    }
}
