package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.PostgresVersion;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The core scenarios on every PostgreSQL major Walden supports, each against a real server: archiving under pgbench,
 * a full and an incremental backup, point-in-time recovery to a time with exactly the rows before it, a latest restore
 * identical to the primary, a drill, and a promotion that archives timeline 2. The rest of the suite runs on 15.
 */
class VersionMatrixIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Stream<PostgresVersion> versions() {
        return PostgresVersion.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void coreScenarios(PostgresVersion version) throws Exception {
        Assumptions.assumeTrue(version.available(), version.missing());
        int port = 55600 + version.major() * 4;
        try (PostgresCluster primary = PostgresCluster.initdb(version, workspace, "primary", port)) {
            Map<String, String> options = primary.agentOptions("drill-path", dir.resolve("drill").toString(),
                    "pg-bin", version.bin().toString(), "backup-archive-timeout", "60");
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                assertEquals(Integer.toString(version.major()), primary.sql("SHOW server_version_num").substring(0, 2));

                // Archiving under pgbench.
                primary.tool("pgbench", "-i", "-s", "2", "-q", "postgres");
                primary.tool("pgbench", "-c", "2", "-T", "3", "postgres");
                RunningAgent.ClientRun full = agent.client(dir, "backup", "--json");
                assertEquals(0, full.exitCode(), full.stderr());
                primary.tool("pgbench", "-c", "2", "-T", "2", "postgres");
                RunningAgent.ClientRun incr = agent.client(dir, "backup", "--type", "incr", "--json");
                assertEquals(0, incr.exitCode(), incr.stderr());
                JsonNode listed = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
                assertEquals(2, listed.size(), listed.toString());
                assertEquals("incr", listed.get(1).get("type").asText(), listed.toString());
                assertEquals(version.major(), listed.get(1).get("pg_version").asInt() / 10000, "the major is in the manifest: " + listed);

                // A marker before the target time, and one after it.
                primary.sql("CREATE TABLE marks (v text)");
                primary.sql("INSERT INTO marks VALUES ('before')");
                String target = primary.sql("SELECT clock_timestamp()");
                Thread.sleep(1100);
                primary.sql("INSERT INTO marks VALUES ('after')");
                String accounts = primary.sql("SELECT count(*) || ' ' || sum(abalance) FROM pgbench_accounts");
                String history = primary.sql("SELECT count(*) FROM pgbench_history");
                String lastWal = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
                primary.sql("SELECT pg_switch_wal()");
                primary.await("the WAL with both markers to be archived", Duration.ofSeconds(60),
                        () -> archived(primary, lastWal));

                // Point in time: exactly the rows before the target. Promoted, it archives timeline 2.
                Path pitr = PostgresCluster.postgresDirectory(workspace.resolve("pitr"));
                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", pitr.toString(),
                        "--target-time", target, "--target-action", "promote", "--archive-mode", "preserve");
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(version, pitr, workspace, port + 1)) {
                    copy.appendConfig("archive_mode = on\n");  // restored() turned it off; the primary's archive_command is kept
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("before", copy.sql("SELECT string_agg(v, ',') FROM marks"));
                    assertEquals("2", copy.sql("SELECT timeline_id FROM pg_control_checkpoint()"));
                    copy.sql("INSERT INTO marks VALUES ('on timeline 2')");
                    String timeline2 = copy.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
                    copy.sql("SELECT pg_switch_wal()");
                    copy.await("timeline 2 to be archived", Duration.ofSeconds(60), () -> archived(copy, timeline2));
                    String system = primary.sql("SELECT system_identifier FROM pg_control_system()");
                    assertTrue(agent.storage().exists(system + "/wal/00000002/00000002.history"), "the history file is archived");
                    assertTrue(agent.storage().exists(system + "/wal/00000002/" + timeline2), timeline2 + " is archived");
                }

                // Latest, from the incremental: identical to the primary.
                Path latest = PostgresCluster.postgresDirectory(workspace.resolve("latest"));
                RunningAgent.ClientRun restoreLatest = agent.client(env, dir, "restore", "--pgdata", latest.toString(),
                        "--target-timeline", "1");
                assertEquals(0, restoreLatest.exitCode(), restoreLatest.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(version, latest, workspace, port + 2)) {
                    copy.start();
                    copy.await("recovery to reach the end of the archive", Duration.ofSeconds(120),
                            () -> "before,after".equals(copy.trySql("SELECT string_agg(v, ',' ORDER BY v DESC) FROM marks")));
                    assertEquals(accounts, copy.sql("SELECT count(*) || ' ' || sum(abalance) FROM pgbench_accounts"));
                    assertEquals(history, copy.sql("SELECT count(*) FROM pgbench_history"));
                }

                // A drill, with this major's own binaries.
                RunningAgent.ClientRun drill = agent.client(env, dir, "drill", "--json");
                JsonNode report = JSON.readTree(drill.stdout());
                assertEquals(0, drill.exitCode(), report.toPrettyString() + drill.stderr());
                assertEquals("passed", report.get("result").asText(), report.toPrettyString());
            }
        }
    }

    private static boolean archived(PostgresCluster cluster, String wal) {
        String last = cluster.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        return last != null && !last.isEmpty() && last.compareTo(wal) >= 0;
    }
}
