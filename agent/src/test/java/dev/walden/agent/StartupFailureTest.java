package dev.walden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.config.AgentConfig;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** "cannot start: /var/lib/walden" named no option and no reason; every start-up failure names both. */
class StartupFailureTest {
    @Test
    void aDirectoryTheAgentCannotCreateNamesTheOptionThePathAndTheError() throws Exception {
        AgentConfig config = AgentConfig.load(null, Map.of(), Map.of("socket-path", "/tmp/w/walden.sock", "repo-path", "/tmp/w/repo"));
        String message = StartupFailure.describe(config, new IOException("wrapped", new AccessDeniedException("/var/lib/walden")));
        assertEquals("spool-path = /var/lib/walden/spool: at /var/lib/walden: permission denied. HINT: create it for the agent's"
                + " user (e.g. install -d -o " + System.getProperty("user.name") + " /var/lib/walden/spool), or set spool-path to a directory that user may write", message);
    }

    @Test
    void aSpillPathTheAgentCannotWriteIsNamed() throws Exception {
        AgentConfig config = AgentConfig.load(null, Map.of(), Map.of("socket-path", "/tmp/w/walden.sock", "repo-path", "/tmp/w/repo",
                "spool-path", "/tmp/w/spool", "pg-wal-guard", "spill", "spill-path", "/srv/spill"));
        String message = StartupFailure.describe(config, new IOException("wrapped",
                new java.nio.file.FileSystemException("/srv/spill", null, "Read-only file system")));
        assertTrue(message.startsWith("spill-path = /srv/spill: read-only file system. HINT: create it"), message);
    }

    @Test
    void otherFailuresKeepTheirMessage() throws Exception {
        AgentConfig config = AgentConfig.defaults();
        assertTrue(StartupFailure.describe(config, new IOException("S3 bucket x does not exist")).contains("bucket x"));
    }
}
