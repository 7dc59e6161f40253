package dev.walden.agent.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hostile values written into postgresql.auto.conf are read back by a real server's own parser ({@code postgres -C})
 * as exactly the value given, and never as a second setting; values that cannot be written safely are refused.
 */
class RecoveryConfigIT extends ClusterTest {
    static final List<String> HOSTILE = List.of(
            "a\\'",                                          // the escape that ended the quoted string before
            "a\\' restore_command = 'sh /tmp/x/pwn.sh",
            "it's", "''", "\\", "back\\slash\\", "#not a comment", "$(id) `id` ; id", "ünïcödé ✓", " spaced ");

    @Test
    void everyValueIsReadBackAsWrittenByPostgresItself() throws Exception {
        PostgresCluster cluster = PostgresCluster.initdb(workspace, "quoting", 55_431);
        Path autoConf = cluster.dataDirectory().resolve("postgresql.auto.conf");
        String original = Files.readString(autoConf);
        for (String value : HOSTILE) {
            String client = "/opt/wal den/it's \"q\" $HOME \\bin/walden";
            String conf = RecoveryConfig.rewrite(original, new RecoveryConfig.Settings(client + " fetch %f %p",
                    new RecoveryTarget.Name(value), "promote", null, "20261201-020000F", "now"));
            Files.writeString(autoConf, conf);
            assertEquals(value, setting(cluster, "recovery_target_name"), "recovery_target_name " + value);
            assertEquals(client + " fetch %f %p", setting(cluster, "restore_command"), "restore_command with " + value);
            assertEquals("promote", setting(cluster, "recovery_target_action"));
        }
    }

    @Test
    void aLineBreakOrControlCharacterIsRefused() {
        for (String value : List.of("a\nrestore_command = '/tmp/pwn.sh'", "a\\'\nrestore_command = base/../pwn.sh\n#", "a\rb",
                "tab\there", "nul\0")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.rewrite("",
                    new RecoveryConfig.Settings("walden fetch %f %p", new RecoveryTarget.Name(value), null, null, "x", "now")));
            assertTrue(e.getMessage().contains("control character"), e.getMessage());
            assertFalse(e.getMessage().contains("Exception"), e.getMessage());
        }
    }

    /** What the server reads for {@code name} from the data directory's configuration files, as postgres. */
    private static String setting(PostgresCluster cluster, String name) throws Exception {
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.addAll(List.of(PostgresCluster.BIN.resolve("postgres").toString(), "-D", cluster.dataDirectory().toString(), "-C", name));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).directory(Path.of("/").toFile()).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), text);
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }
}
