package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A test restore next to production (issue 18, section 1): promoted, it does not archive into production's
 * repository; and if a restored cluster did archive a timeline 2 there, production's restores and drills still
 * follow production's timeline 1, while restore, status and verify say so.
 */
class TestRestoreIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aTestRestoreNeverArchivesAndAForeignTimelineIsNotFollowed() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "production", 55511)) {
            Map<String, String> options = primary.agentOptions("drill-path", dir.resolve("drill").toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE t (v int); INSERT INTO t SELECT generate_series(1, 100)");
                assertEquals(0, agent.client(dir, "backup").exitCode());
                String system = primary.sql("SELECT system_identifier FROM pg_control_system()");

                // The README's test restore, promoted and written to: nothing reaches the repository.
                Path test = PostgresCluster.postgresDirectory(workspace.resolve("test"));
                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", test.toString(), "--target", "immediate",
                        "--target-action", "promote");
                assertEquals(0, restore.exitCode(), restore.stderr());
                assertTrue(restore.stdout().contains("Archiving is off"), restore.stdout());
                assertTrue(Files.readString(test.resolve("postgresql.auto.conf")).contains("archive_mode = 'off'"));
                try (PostgresCluster copy = PostgresCluster.restored(test, workspace, 55512)) {
                    copy.appendConfig("archive_mode = on\n");  // as the backed-up configuration had it; auto.conf wins
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("off", copy.sql("SHOW archive_mode"));
                    copy.sql("INSERT INTO t VALUES (-1)");
                    copy.sql("SELECT pg_switch_wal()");
                    Thread.sleep(1500);
                }
                assertFalse(agent.storage().exists(system + "/wal/00000002/00000002.history"), "the test restore archived nothing");

                // A restored cluster that did archive (--archive-mode preserve, used where it should not have been).
                Path stray = PostgresCluster.postgresDirectory(workspace.resolve("stray"));
                assertEquals(0, agent.client(env, dir, "restore", "--pgdata", stray.toString(), "--target", "immediate",
                        "--target-action", "promote", "--archive-mode", "preserve").exitCode());
                try (PostgresCluster copy = PostgresCluster.restored(stray, workspace, 55513)) {
                    copy.appendConfig("archive_mode = on\n");
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    copy.sql("INSERT INTO t VALUES (-2)");
                    copy.sql("SELECT pg_switch_wal()");
                    copy.await("the stray timeline 2 to be archived", Duration.ofSeconds(60),
                            () -> exists(agent, system + "/wal/00000002/00000002.history"));
                }

                // Production goes on, on timeline 1.
                primary.sql("INSERT INTO t SELECT generate_series(101, 200)");
                String last = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
                primary.sql("SELECT pg_switch_wal()");
                primary.await("production's WAL to be archived", Duration.ofSeconds(60),
                        () -> last.compareTo(String.valueOf(primary.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"))) <= 0);

                Path latest = PostgresCluster.postgresDirectory(workspace.resolve("latest"));
                RunningAgent.ClientRun followed = agent.client(env, dir, "restore", "--pgdata", latest.toString());
                assertEquals(0, followed.exitCode(), followed.stderr());
                assertTrue(followed.stderr().contains("WARNING: the archive holds timeline 2") && followed.stderr().contains("timeline 1"),
                        followed.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(latest, workspace, 55514)) {
                    copy.start();
                    copy.await("recovery to the end of production's timeline", Duration.ofSeconds(120),
                            () -> "200".equals(copy.trySql("SELECT count(*) FROM t WHERE v > 0")));
                    assertEquals("0", copy.sql("SELECT count(*) FROM t WHERE v < 0"), "nothing of the stray timeline");
                }

                RunningAgent.ClientRun drill = agent.client(env, dir, "drill", "--json");
                JsonNode report = JSON.readTree(drill.stdout());
                assertEquals(0, drill.exitCode(), report.toPrettyString());
                assertTrue(report.get("checks").toString().contains("followed the live primary's timeline 1"), report.toPrettyString());

                RunningAgent.ClientRun verify = agent.client(dir, "verify", "--quick");
                assertEquals(1, verify.exitCode(), verify.stdout());
                assertTrue(verify.stdout().contains("timeline-foreign"), verify.stdout());
                assertTrue(agent.client(dir, "status").stdout().contains("never had"), "status warns of the foreign timeline");
            }
        }
    }

    @Test
    void aTargetPastTheArchiveIsRefusedAndTimesAreReadInTheCallersZone() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "zones", 55515)) {
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), primary.agentOptions())) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('before')");
                assertEquals(0, agent.client(dir, "backup").exitCode());
                Thread.sleep(1100);
                // The DBA's wall clock in Berlin, without a zone: read in the client's TZ, not the agent's (UTC).
                String berlin = primary.sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI:SS.US')");
                Thread.sleep(1100);
                primary.sql("INSERT INTO t VALUES ('after')");
                String last = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
                primary.sql("SELECT pg_switch_wal()");
                primary.await("the WAL to be archived", Duration.ofSeconds(60),
                        () -> last.compareTo(String.valueOf(primary.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver"))) <= 0);

                // 2. A target after everything archived: refused with what the archive reaches, and nothing written.
                Path future = dir.resolve("future");
                RunningAgent.ClientRun tooLate = agent.client(Map.of("WALDEN_CLIENT", walden.toString()), dir, "restore", "--pgdata",
                        future.toString(), "--target-time", "2099-01-01 00:00:00+00");
                assertEquals(1, tooLate.exitCode(), tooLate.stderr());
                assertTrue(tooLate.stderr().contains("lies after everything") && tooLate.stderr().contains("latest-available"),
                        tooLate.stderr());
                assertFalse(Files.exists(future.resolve("global/pg_control")));

                // 3. The Berlin time restores exactly the row before it.
                Path pitr = PostgresCluster.postgresDirectory(workspace.resolve("berlin"));
                RunningAgent.ClientRun restore = agent.client(Map.of("WALDEN_CLIENT", walden.toString(), "TZ", "Europe/Berlin"), dir,
                        "restore", "--pgdata", pitr.toString(), "--target-time", berlin, "--target-action", "promote");
                assertEquals(0, restore.exitCode(), restore.stderr());
                assertTrue(restore.stderr().contains("(UTC)") && restore.stderr().contains("Europe/Berlin"), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(pitr, workspace, 55516)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("before", copy.sql("SELECT string_agg(v, ',') FROM t"));
                }
            }
        }
    }

    private static boolean exists(RunningAgent agent, String key) {
        try {
            return agent.storage().exists(key);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
