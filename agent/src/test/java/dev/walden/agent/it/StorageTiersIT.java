package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.storage.ArchivedObjectException;
import dev.walden.agent.storage.s3.S3Storage;
import dev.walden.agent.testing.ArchiveTiers;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.FaultyProxy;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.S3ProxyServer;
import dev.walden.agent.testing.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Long-term tiers on S3: a full backup kept only by retain-monthly moves to storage-class-monthly, one kept only by
 * retain-yearly to storage-class-yearly, each by server-side copies that carry the class header; a restore of the
 * archived one asks S3 to retrieve its objects, says how long that takes, and goes on when run again after S3 is done.
 */
class StorageTiersIT extends ClusterTest {

    @Test
    void monthlyAndYearlyBackupsMoveToTheirClassesAndAnArchivedOneRestoresAfterItsRetrieval() throws Exception {
        TestClock clock = new TestClock();
        AtomicReference<ArchiveTiers> tiers = new AtomicReference<>();
        try (S3ProxyServer s3 = S3ProxyServer.start(); FaultyProxy proxy = new FaultyProxy(s3.port());
             PostgresCluster primary = PostgresCluster.initdb(workspace, "tiers", 55876)) {
            s3.createBucket("tiers");
            Map<String, String> options = primary.agentOptions("encryption", "off", "backup-archive-timeout", "60");
            options.putAll(s3.agentOptions("tiers", "db1"));
            options.put("s3-endpoint", "http://127.0.0.1:" + proxy.port());
            options.putAll(Map.of("retain-daily", "2", "retain-monthly", "2", "retain-yearly", "3", "retain-pitr-days", "1",
                    "retain-timezone", "UTC"));
            List<String> ids = new java.util.ArrayList<>();
            // A year of backups before the tiers are configured: a year ago (kept by the yearly rule alone), forty days
            // ago (the monthly rule alone), two days ago and today (both daily; the older one anchors the window).
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options, clock)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE events (note text)");
                for (int days : List.of(400, 40, 2, 0)) {
                    clock.lag(Duration.ofDays(days));
                    primary.sql("INSERT INTO events VALUES ('" + days + " days ago')");
                    ids.add(RetentionIT.backup(agent, dir, "--type", "full"));
                }
            }
            options.putAll(Map.of("storage-class-monthly", "GLACIER_IR", "storage-class-yearly", "DEEP_ARCHIVE"));
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options, clock, storage -> {
                tiers.set(new ArchiveTiers(storage));
                return tiers.get();
            })) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                RunningAgent.ClientRun dryRun = agent.client(env, dir, "expire", "--dry-run");
                assertTrue(dryRun.stdout().contains("would move backup " + ids.get(1) + " to storage class GLACIER_IR"), dryRun.stdout());
                assertTrue(tiers.get().classes().isEmpty(), "a dry run moves nothing");

                RunningAgent.ClientRun expire = agent.client(env, dir, "expire");
                assertEquals(0, expire.exitCode(), expire.stdout() + expire.stderr());
                assertTrue(expire.stdout().contains("moved backup " + ids.get(0) + " to storage class DEEP_ARCHIVE (kept by the yearly rule only)"),
                        expire.stdout());
                assertTrue(expire.stdout().contains("moved backup " + ids.get(1) + " to storage class GLACIER_IR (kept by the monthly rule only)"),
                        expire.stdout());
                Map<String, String> moved = tiers.get().classes();
                assertTrue(!moved.isEmpty() && moved.keySet().stream().allMatch(k -> k.contains("/data/")),
                        "only data objects move; manifests, commit records and WAL stay readable: " + moved.keySet());
                assertTrue(moved.entrySet().stream().allMatch(e -> e.getValue().equals(e.getKey().contains(ids.get(0)) ? "DEEP_ARCHIVE"
                        : "GLACIER_IR")), moved.toString());
                // Each move went to S3 as a copy onto itself carrying the class header.
                List<String> requests = proxy.storageClassRequests();
                for (String key : moved.keySet()) {
                    assertTrue(requests.stream().anyMatch(r -> r.startsWith("PUT ") && r.contains(key) && r.endsWith("-> " + moved.get(key))),
                            key + " in " + requests);
                }
                RunningAgent.ClientRun again = agent.client(env, dir, "expire");
                assertTrue(!again.stdout().contains("moved backup"), "moved once: " + again.stdout());

                RunningAgent.ClientRun verify = agent.client(env, dir, "verify", "--all");
                assertEquals(0, verify.exitCode(), "archived objects are checked by presence, never read: " + verify.stdout() + verify.stderr());

                // The year-old backup is in DEEP_ARCHIVE: --prepare asks, a restore waits for S3, then goes on.
                Path target = workspace.resolve("yearly");
                RunningAgent.ClientRun prepare = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--backup", ids.get(0),
                        "--prepare");
                assertEquals(0, prepare.exitCode(), prepare.stderr());
                int objects = (int) moved.keySet().stream().filter(k -> k.contains(ids.get(0))).count();
                String said = prepare.stdout() + prepare.stderr();
                assertTrue(said.contains(objects + " objects requested from DEEP_ARCHIVE; typical retrieval 12 h"), said);
                assertEquals(objects, tiers.get().retrievalRequests());
                RunningAgent.ClientRun waiting = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--backup", ids.get(0));
                assertEquals(1, waiting.exitCode());
                String told = waiting.stdout() + waiting.stderr();
                assertTrue(told.contains(objects + " objects being retrieved") && told.contains("Run the same command again"), told);
                assertEquals(objects, tiers.get().retrievalRequests(), "nothing is asked twice");
                tiers.get().finishRetrievals();
                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--backup", ids.get(0),
                        "--target", "immediate", "--target-action", "promote");
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(target, workspace, 55877)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("400 days ago", copy.sql("SELECT string_agg(note, ',') FROM events"));
                }
            }
        }
    }

    /** What S3 answers a GET of an unrestored GLACIER or DEEP_ARCHIVE object becomes an answer, not a permission error. */
    @Test
    void invalidObjectStateIsAnArchivedObjectNotAFailure() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start(); FaultyProxy proxy = new FaultyProxy(s3.port())) {
            s3.createBucket("archived");
            Map<String, String> options = new HashMap<>(s3.agentOptions("archived", ""));
            options.put("s3-endpoint", "http://127.0.0.1:" + proxy.port());
            options.put("encryption", "off");
            try (S3Storage storage = S3Storage.open(AgentConfig.load(null, Map.of(), options).s3())) {
                storage.putIfAbsent("a/b", out -> out.write(1));
                proxy.set(FaultyProxy.Mode.INVALID_OBJECT_STATE, 0);
                ArchivedObjectException e = assertThrows(ArchivedObjectException.class, () -> storage.open("a/b").close());
                assertTrue(e.getMessage().contains("must be retrieved"), e.getMessage());
            }
        }
    }
}
