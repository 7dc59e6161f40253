package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import dev.walden.agent.testing.PostgresVersion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A cluster laid out as Debian lays it out: postgresql.conf, pg_hba.conf and pg_ident.conf in a configuration
 * directory of their own, postgresql.conf including conf.d. Every backup keeps them; a restore writes them into the
 * restored data directory, which then starts from that directory alone with the same settings and pg_hba.conf rules;
 * or, with --config-to, writes them as they were into another directory, never over an existing file.
 */
class ExternalConfigIT extends ClusterTest {

    static java.util.stream.Stream<PostgresVersion> versions() {
        return java.util.stream.Stream.of(PostgresVersion.V15, PostgresVersion.of(18));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void aClusterWhoseConfigurationLivesOutsideItsDataDirectoryRestoresAndStartsFromTheRestoredDirectoryAlone(PostgresVersion version)
            throws Exception {
        Assumptions.assumeTrue(version.available(), version.missing());
        int port = 55900 + 2 * (version.major() - 15);
        try (PostgresCluster primary = PostgresCluster.initdb(version, workspace, "main", port)) {
            Path etc = workspace.resolve("etc-main");
            primary.moveConfigurationTo(etc);
            Files.writeString(etc.resolve("conf.d/10-tuning.conf"), "work_mem = '7MB'\n");
            Files.writeString(etc.resolve("pg_hba.conf"), "host all all 10.9.8.7/32 reject\n", StandardOpenOption.APPEND);
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), primary.agentOptions())) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                assertEquals("7MB", primary.sql("SHOW work_mem"));
                primary.sql("CREATE TABLE events (note text)");
                primary.sql("INSERT INTO events VALUES ('configured outside')");
                RunningAgent.ClientRun backup = agent.client(env, dir, "backup", "--json");
                assertEquals(0, backup.exitCode(), backup.stderr());
                String id = RetentionIT.JSON.readTree(backup.stdout()).get("id").asText();
                RunningAgent.ClientRun show = agent.client(env, dir, "backup", "show", id);
                assertTrue(show.stdout().contains(etc.resolve("postgresql.conf") + " (config_file)")
                        && show.stdout().contains(etc.resolve("pg_hba.conf") + " (hba_file)")
                        && show.stdout().contains(etc.resolve("conf.d/10-tuning.conf") + " (include)"), show.stdout());

                Path restored = workspace.resolve("restored");
                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", restored.toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                String conf = Files.readString(restored.resolve("postgresql.conf"));
                assertTrue(conf.contains("# data_directory") && conf.contains("# external_pid_file") && conf.contains("# hba_file"),
                        "the copy no longer names the live cluster's files: " + conf);
                assertEquals(Files.readString(etc.resolve("pg_hba.conf")), Files.readString(restored.resolve("pg_hba.conf")));
                try (PostgresCluster copy = PostgresCluster.restored(version, restored, workspace, port + 1)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("configured outside", copy.sql("SELECT note FROM events"));
                    assertEquals("7MB", copy.sql("SHOW work_mem"), "conf.d came along");
                    assertEquals(restored.resolve("pg_hba.conf").toString(), copy.sql("SHOW hba_file"));
                    assertEquals("1", copy.sql("SELECT count(*) FROM pg_hba_file_rules WHERE address = '10.9.8.7'"),
                            "the same pg_hba.conf rules");
                }
                assertTrue(Files.exists(etc.resolve("main.pid")), "the live cluster's pid file was left alone");

                // pg_createcluster's layout: the files as they were, into a directory of their own, never over one.
                Path elsewhere = workspace.resolve("etc-restored");
                RunningAgent.ClientRun toDir = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("restored2").toString(),
                        "--config-to", elsewhere.toString());
                assertEquals(0, toDir.exitCode(), toDir.stderr());
                assertEquals(Files.readString(etc.resolve("postgresql.conf")), Files.readString(elsewhere.resolve("postgresql.conf")));
                assertTrue(Files.exists(elsewhere.resolve("conf.d/10-tuning.conf")));
                assertTrue(!Files.exists(workspace.resolve("restored2/postgresql.conf")), "not also into the data directory");
                RunningAgent.ClientRun again = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("restored3").toString(),
                        "--config-to", elsewhere.toString());
                assertEquals(1, again.exitCode());
                assertTrue((again.stdout() + again.stderr()).contains("never overwrites a configuration file"), again.stdout() + again.stderr());
            }
        }
    }
}
