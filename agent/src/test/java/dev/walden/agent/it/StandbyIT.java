package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import dev.walden.agent.testing.PostgresVersion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code walden restore --standby}: a standby built from the repository, not from the primary's disks. It replays the
 * archived WAL through restore_command, then streams from the primary, and a row written there afterwards appears on it.
 */
class StandbyIT extends ClusterTest {

    static java.util.stream.Stream<PostgresVersion> versions() {
        return PostgresVersion.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void aStandbyFromTheRepositoryCatchesUpFromTheArchiveThenStreams(PostgresVersion version) throws Exception {
        Assumptions.assumeTrue(version.available(), version.missing());
        int port = 55890 + 2 * (version.major() - 15);
        try (PostgresCluster primary = PostgresCluster.initdb(version, workspace, "primary", port)) {
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), primary.agentOptions())) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE events (note text)");
                primary.sql("INSERT INTO events VALUES ('before the backup')");
                RunningAgent.ClientRun backup = agent.client(env, dir, "backup");
                assertEquals(0, backup.exitCode(), backup.stderr());
                // WAL the standby can only get from the archive: written and switched before it exists.
                primary.sql("INSERT INTO events SELECT 'archived only' FROM generate_series(1, 1000)");
                primary.sql("SELECT pg_switch_wal()");

                RunningAgent.ClientRun refused = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("x").toString(),
                        "--standby", "--target-time", "2026-01-01 00:00:00");
                assertEquals(2, refused.exitCode(), "a standby has no recovery target: " + refused.stderr());

                Path data = workspace.resolve("standby");
                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", data.toString(), "--standby");
                assertEquals(0, restore.exitCode(), restore.stderr());
                assertTrue((restore.stdout() + restore.stderr()).contains("set up as a standby of host="), restore.stdout() + restore.stderr());
                assertTrue(Files.exists(data.resolve("standby.signal")) && !Files.exists(data.resolve("recovery.signal")));
                String autoConf = Files.readString(data.resolve("postgresql.auto.conf"));
                assertTrue(autoConf.contains("primary_conninfo = 'host=" + primary.socketDirectory()) && autoConf.contains("port=" + port)
                        && autoConf.contains("recovery_target_timeline = 'latest'") && autoConf.contains("restore_command"), autoConf);

                try (PostgresCluster standby = PostgresCluster.restored(version, data, workspace, port + 1)) {
                    standby.start();
                    standby.await("the standby to stream from the primary", Duration.ofSeconds(120),
                            () -> "streaming".equals(standby.trySql("SELECT status FROM pg_stat_wal_receiver")));
                    assertEquals("t", standby.sql("SELECT pg_is_in_recovery()"));
                    assertEquals("1000", standby.sql("SELECT count(*) FROM events WHERE note = 'archived only'"));
                    primary.sql("INSERT INTO events VALUES ('after the standby streams')");
                    standby.await("the new row on the standby", Duration.ofSeconds(60),
                            () -> "1".equals(standby.trySql("SELECT count(*) FROM events WHERE note = 'after the standby streams'")));
                    assertTrue(primary.sql("SELECT application_name FROM pg_stat_replication").contains("walden-standby"));
                }
            }
        }
    }
}
