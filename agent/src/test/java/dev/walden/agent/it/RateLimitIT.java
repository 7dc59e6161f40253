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
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code upload-rate-limit-mib} on a real cluster: a backup keeps to the limit while PostgreSQL's archiving goes on
 * through it (WAL goes first), and the backup is complete and restorable. How closely the limit holds over a minute
 * is measured in benchmarks/bin/rate-limit, not asserted here; that a backup cannot beat it is.
 */
class RateLimitIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int LIMIT_MIB = 1;

    @Test
    void aRateLimitedBackupKeepsToTheLimitWhileArchivingGoesOn() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "limited", 55820)) {
            Map<String, String> options = primary.agentOptions();
            options.put("upload-rate-limit-mib", Integer.toString(LIMIT_MIB));
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                // Some 8 MB that zstd cannot shrink much: hex digits of random numbers.
                primary.sql("CREATE TABLE noise AS SELECT g, md5(random()::text) || md5(random()::text) AS t"
                        + " FROM generate_series(1, 120000) g");
                primary.sql("CHECKPOINT");

                long started = System.nanoTime();
                CompletableFuture<RunningAgent.ClientRun> backup = CompletableFuture.supplyAsync(() -> agent.client(dir, "backup"));
                primary.await("the backup to be under way", Duration.ofSeconds(60),
                        () -> dataObjects(agent.repository()) > 0 || backup.isDone());
                long archivedBefore = Long.parseLong(primary.sql("SELECT archived_count FROM pg_stat_archiver"));
                for (int i = 0; i < 3 && !backup.isDone(); i++) {
                    primary.sql("INSERT INTO noise SELECT g, 'during the backup' FROM generate_series(1, 1000) g");
                    primary.sql("SELECT pg_switch_wal()");
                    long expected = archivedBefore + i + 1;
                    primary.await("segment " + (i + 1) + " archived while the limited backup runs", Duration.ofSeconds(60),
                            () -> Long.parseLong(primary.trySql("SELECT archived_count FROM pg_stat_archiver")) >= expected);
                }
                boolean archivedDuringBackup = !backup.isDone();
                RunningAgent.ClientRun done = backup.get();
                double seconds = (System.nanoTime() - started) / 1e9;
                assertEquals(0, done.exitCode(), done.stderr());
                assertTrue(archivedDuringBackup, "three segments were archived before the limited backup ended (" + seconds + " s)");
                assertEquals("0", primary.sql("SELECT failed_count FROM pg_stat_archiver"), "no push failed while the backup ran");

                JsonNode listed = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
                JsonNode summary = listed.get(listed.size() - 1);
                assertEquals("complete", summary.get("status").asText(), listed.toString());
                long stored = summary.get("stored_bytes").asLong();
                double floor = 0.8 * stored / (LIMIT_MIB << 20);
                assertTrue(seconds >= floor, "stored " + stored + " bytes in " + seconds + " s: faster than the limit allows");

                RunningAgent.ClientRun restore = agent.client(Map.of("WALDEN_CLIENT", walden.toString()), dir,
                        "restore", "--pgdata", workspace.resolve("restored").toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(workspace.resolve("restored"), workspace, 55821)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("120000", copy.sql("SELECT count(*) FROM noise WHERE t <> 'during the backup'"));
                    assertFalse(copy.sql("SELECT count(*) FROM noise").isEmpty());
                }
            }
        }
    }

    private static long dataObjects(Path repository) {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(repository)) {
            return files.filter(p -> p.toString().contains("/backup/") && p.toString().contains("/data/")).count();
        } catch (Exception e) {
            return 0;
        }
    }
}
