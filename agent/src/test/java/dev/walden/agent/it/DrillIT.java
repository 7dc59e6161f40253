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
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * walden drill, status and the metrics endpoint on a real cluster: a drill passes on a good backup; it fails, naming
 * the check, on a corrupted relation and on a missing WAL segment; the scratch directory is always removed and the
 * live cluster untouched; status reaches 2, 1 and 0; the scrape shows real values.
 */
class DrillIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();


    Map<String, String> options(PostgresCluster cluster) {
        return cluster.agentOptions("drill-path", dir.resolve("drill").toString(), "backup-archive-timeout", "60");
    }

    static boolean empty(Path directory) throws Exception {
        if (!Files.exists(directory)) {
            return true;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.findAny().isEmpty();
        }
    }

    static Map<String, Boolean> checks(JsonNode report) {
        Map<String, Boolean> checks = new HashMap<>();
        report.get("checks").forEach(c -> checks.put(c.get("name").asText(), c.get("passed").asBoolean()));
        return checks;
    }

    @Test
    void aDrillOfAGoodBackupPassesAndStatusAndMetricsShowIt() throws Exception {
        int metricsPort;
        try (ServerSocket free = new ServerSocket(0)) {
            metricsPort = free.getLocalPort();
        }
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "drilled", 55495)) {
            Map<String, String> options = options(primary);
            options.put("metrics-listen", "127.0.0.1:" + metricsPort);
            Path sql = dir.resolve("checks.sql");
            Files.writeString(sql, "-- every account is there\n-- expect: 100000\nSELECT count(*) FROM pgbench_accounts;\n"
                    + "SELECT sum(abalance) = 0 FROM pgbench_accounts;\n");
            options.put("drill-sql-file", sql.toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.tool("pgbench", "-i", "-s", "1", "-q", "postgres");

                RunningAgent.ClientRun noBackup = agent.client(dir, "status");
                assertEquals(2, noBackup.exitCode(), "no backup is critical: " + noBackup.stdout());
                assertTrue(noBackup.stdout().contains("CRITICAL: no complete full backup"), noBackup.stdout());

                assertEquals(0, agent.client(dir, "backup").exitCode());
                String pidBefore = Files.readString(primary.dataDirectory().resolve("postmaster.pid"));
                RunningAgent.ClientRun drill = agent.client(env, dir, "drill", "--json");
                JsonNode report = JSON.readTree(drill.stdout());
                assertEquals(0, drill.exitCode(), report.toPrettyString() + drill.stderr());
                assertEquals("passed", report.get("result").asText());
                Map<String, Boolean> checks = checks(report);
                for (String name : new String[] {"connect", "recovery point", "pg_amcheck", "row counts", "sql line 3", "sql line 4"}) {
                    assertEquals(Boolean.TRUE, checks.get(name), name + " in " + report.toPrettyString());
                }
                assertTrue(report.get("checks").toString().contains("postgres.public.pgbench_accounts 100000 = 100000"), report.toString());
                assertTrue(report.get("rto_seconds").asDouble() > 0 && report.get("bytes_restored").asLong() > 10_000_000, report.toString());
                assertFalse(report.get("recovery_point").get("lsn").isNull(), report.toString());
                assertTrue(empty(dir.resolve("drill")), "the scratch directory is removed");
                assertEquals(pidBefore, Files.readString(primary.dataDirectory().resolve("postmaster.pid")), "the live cluster kept running");
                assertEquals("100000", primary.sql("SELECT count(*) FROM pgbench_accounts"));

                RunningAgent.ClientRun text = agent.client(env, dir, "drill", "--keep");
                assertEquals(0, text.exitCode(), text.stdout() + text.stderr());
                assertTrue(text.stdout().contains("RTO") && text.stdout().contains("ok     pg_amcheck"), text.stdout());
                assertFalse(empty(dir.resolve("drill")), "--keep leaves the directory");

                // A logical dump, drilled on the drill's own server in a scratch database.
                RunningAgent.ClientRun dump = agent.client(dir, "dump", "--database", "postgres", "--json");
                assertEquals(0, dump.exitCode(), dump.stderr());
                String dumpId = JSON.readTree(dump.stdout()).get(0).get("id").asText();
                RunningAgent.ClientRun dumpDrill = agent.client(env, dir, "drill", "--dump", dumpId, "--json");
                JsonNode dumpReport = JSON.readTree(dumpDrill.stdout());
                assertEquals(0, dumpDrill.exitCode(), dumpReport.toPrettyString());
                assertEquals(Boolean.TRUE, checks(dumpReport).get("dump restore"), dumpReport.toPrettyString());
                assertEquals(Boolean.TRUE, checks(dumpReport).get("dump pg_amcheck"), dumpReport.toPrettyString());

                RunningAgent.ClientRun healthy = agent.client(dir, "status", "--json");
                JsonNode status = JSON.readTree(healthy.stdout());
                assertEquals(0, healthy.exitCode(), status.toPrettyString());
                assertEquals("passed", status.get("drill").get("result").asText());
                assertTrue(status.get("repositories").get(0).get("reachable").asBoolean());

                HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, scrape.statusCode());
                String metrics = scrape.body();
                assertTrue(metrics.matches("(?s).*\\nwalden_archive_last_success_timestamp_seconds 1\\.[0-9]+E9\\n.*"), metrics);
                assertTrue(metrics.matches("(?s).*\\nwalden_backup_last_success_timestamp_seconds\\{type=\"full\"} 1\\.[0-9]+E9\\n.*"), metrics);
                assertTrue(metrics.contains("walden_drill_last_success 1.0"), metrics);
                assertTrue(metrics.contains("walden_repository_up 1.0"), metrics);
                assertTrue(metrics.matches("(?s).*\\nwalden_archive_bytes_total\\{direction=\"in\"} [1-9].*"), metrics);
                assertTrue(metrics.contains("jvm_memory_used_bytes"), metrics);
            }
            Map<String, String> inside = options(primary);
            inside.put("drill-path", primary.dataDirectory().resolve("drill").toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent2"), inside)) {
                RunningAgent.ClientRun refused = agent.client(dir, "drill");
                assertEquals(1, refused.exitCode());
                assertTrue(refused.stderr().contains("live cluster's data directory (pg-data)"), refused.stderr());
                assertFalse(Files.exists(primary.dataDirectory().resolve("drill")));
            }
        }
    }

    @Test
    void aCorruptedRelationFailsTheDrillInPgAmcheck() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "corrupt", 55496);
             RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options(primary))) {
            Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
            primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
            primary.start();
            primary.sql("CREATE TABLE victim AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 5000) g");
            String file = primary.sql("SELECT pg_relation_filepath('victim')");
            primary.sql("CHECKPOINT");
            primary.stop();
            try (RandomAccessFile heap = new RandomAccessFile(primary.dataDirectory().resolve(file).toFile(), "rw")) {
                // The first tuple of the second page: its xmin and xmax become 0xFFFFFFFF, a transaction from the future.
                heap.seek(8192 + 24);
                int pointer = Integer.reverseBytes(heap.readInt());
                heap.seek(8192 + (pointer & 0x7FFF));
                heap.write(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1});
            }
            primary.start();
            assertEquals(0, agent.client(dir, "backup").exitCode());
            RunningAgent.ClientRun drill = agent.client(Map.of("WALDEN_CLIENT", walden.toString()), dir, "drill", "--json");
            JsonNode report = JSON.readTree(drill.stdout());
            assertEquals(1, drill.exitCode(), report.toPrettyString());
            assertEquals(Boolean.FALSE, checks(report).get("pg_amcheck"), report.toPrettyString());
            assertTrue(empty(dir.resolve("drill")), "the scratch directory is removed after a failed drill too");
            assertEquals("t", primary.sql("SELECT true"), "the live cluster is untouched");
            RunningAgent.ClientRun status = agent.client(dir, "status");
            assertEquals(1, status.exitCode(), "a failed drill is a warning: " + status.stdout());
            assertTrue(status.stdout().contains("warning: the last drill"), status.stdout());
        }
    }

    @Test
    void aMissingSegmentFailsTheDrillBecauseRecoveryStopsShort() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "gap", 55497);
             RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options(primary))) {
            Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
            primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
            primary.start();
            primary.sql("CREATE TABLE t (n int)");
            JsonNode backup = JSON.readTree(agent.client(dir, "backup", "--json").stdout());
            for (int i = 0; i < 4; i++) {
                primary.sql("INSERT INTO t SELECT generate_series(1, 1000)");
                primary.sql("SELECT pg_switch_wal()");
            }
            String last = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
            String system = backup.get("system_identifier").asText();
            Path timeline = agent.repository().resolve(system + "/wal/00000001");
            primary.await("the segments to be archived", java.time.Duration.ofSeconds(60), () -> {
                try (Stream<Path> files = Files.list(timeline)) {
                    return files.filter(p -> p.getFileName().toString().length() == 24).count() >= 5;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            String stop = dev.walden.agent.backup.Lsn.parse(backup.get("stop_lsn").asText()).segmentName(1, 16L << 20);
            String missing = dev.walden.agent.backup.Lsn.segmentName(1,
                    dev.walden.agent.wal.WalFileName.parse(stop).segmentNumber(16L << 20) + 1, 16L << 20);
            assertTrue(missing.compareTo(last) < 0, missing + " before " + last);
            Files.delete(timeline.resolve(missing));
            RunningAgent.ClientRun drill = agent.client(Map.of("WALDEN_CLIENT", walden.toString()), dir, "drill", "--json");
            JsonNode report = JSON.readTree(drill.stdout());
            assertEquals(1, drill.exitCode(), report.toPrettyString());
            assertEquals(Boolean.FALSE, checks(report).get("recovery point"), report.toPrettyString());
            assertTrue(report.toString().contains("walden verify"), report.toString());
            assertTrue(empty(dir.resolve("drill")));
            assertEquals("4000", primary.sql("SELECT count(*) FROM t"), "the live cluster is untouched");
        }
    }
}
