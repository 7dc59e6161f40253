package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.FaultyStorage;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.S3ProxyServer;
import dev.walden.agent.testing.TestClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Repository 1 a local directory (the NAS), repository 2 an S3 bucket (s3proxy), under a real cluster: each holds
 * every WAL file and backup; one that fails is either waited for (archive-ack = all) or caught up later in order
 * (first); a backup completes while repository 2 fails and reaches it afterwards; reads fall over when an object is
 * missing or damaged in one; and each repository alone restores the cluster.
 */
class SeveralRepositoriesIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everythingReachesBothRepositoriesWhateverFailsAndEachRestoresAlone() throws Exception {
        Path keyring = dir.resolve("keyring");
        KeyringFile.addKey(keyring, Optional.empty(), true, false, new SecureRandom());
        Map<Integer, FaultyStorage> faulty = new ConcurrentHashMap<>();
        BiFunction<Integer, Storage, Storage> wrap = (number, storage) -> {
            FaultyStorage f = new FaultyStorage(storage);
            faulty.put(number, f);
            return f;
        };
        Path nas = dir.resolve("nas");
        try (S3ProxyServer s3 = S3ProxyServer.start(); PostgresCluster primary = PostgresCluster.initdb(workspace, "several", 55870)) {
            s3.createBucket("offsite");
            Map<String, String> options = primary.agentOptions("repo-path", nas.toString(), "keyring-path", keyring.toString());
            s3.agentOptions("offsite", "db1").forEach((key, value) -> options.put(key.startsWith("repo-") ? "repo2-" + key.substring(5)
                    : "repo2-" + key, value));
            Path walden;
            Map<String, String> env;

            // archive-ack = all: while repository 2 fails, pushes fail and PostgreSQL keeps its WAL.
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), withOption(options, "archive-ack", "all"),
                    Clock.systemUTC(), wrap)) {
                walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE events (note text)");
                primary.sql("INSERT INTO events VALUES ('archived to both')");
                String both = switchWal(primary);
                primary.await("a segment archived to both", Duration.ofSeconds(60), () -> archivedThrough(primary, both));

                faulty.get(2).inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "", 1, FaultyStorage.Failure.UNAVAILABLE));
                String held = switchWal(primary);
                primary.await("failed attempts to archive while repository 2 fails", Duration.ofSeconds(60),
                        () -> Integer.parseInt(primary.trySql("SELECT failed_count FROM pg_stat_archiver").strip()) >= 1);
                assertTrue(Files.exists(primary.dataDirectory().resolve("pg_wal/archive_status/" + held + ".ready")),
                        "PostgreSQL keeps the segment repository 2 could not take");
                faulty.get(2).clear();
                String after = switchWal(primary);
                primary.await("archiving once repository 2 answers", Duration.ofSeconds(90), () -> archivedThrough(primary, after));
            }

            // archive-ack = first: repository 2 fails, archiving and a backup go on, and it catches up afterwards.
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), withOption(options, "archive-ack", "first"),
                    Clock.systemUTC(), wrap)) {
                // The backup's objects fail from the third on, so that repository 2 fails mid-way through it.
                faulty.get(2).inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "/backup/", 3, FaultyStorage.Failure.UNAVAILABLE));
                RunningAgent.ClientRun backup = agent.client(env, dir, "backup");
                assertEquals(0, backup.exitCode(), "a backup completes while repository 2 fails: " + backup.stderr());
                assertTrue(keys(faulty.get(2), "/backup/").stream().anyMatch(k -> k.contains("/data/")),
                        "repository 2 took the first objects before it failed: " + keys(faulty.get(2), "/backup/"));
                assertTrue(keys(faulty.get(2), "/backup/").stream().noneMatch(k -> k.endsWith("/commit")),
                        "and holds no commit record for the backup it could not finish");
                // Then WAL fails too, and the repository answers no probe: archiving goes on into repository 1.
                faulty.get(2).inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "", 1, FaultyStorage.Failure.UNAVAILABLE),
                        new FaultyStorage.Fault(FaultyStorage.Operation.OPEN, "walden.repository", 1, FaultyStorage.Failure.UNAVAILABLE));
                primary.sql("INSERT INTO events SELECT 'while repository 2 fails' FROM generate_series(1, 100)");
                String during = switchWal(primary);
                primary.await("archiving to repository 1 alone", Duration.ofSeconds(60), () -> archivedThrough(primary, during));
                JsonNode behind = JSON.readTree(agent.client(env, dir, "status", "--json").stdout());
                JsonNode repo2 = behind.path("repositories").get(0).path("each").get(1);
                assertTrue(repo2.path("behind_objects").asLong() > 0, behind.toString());
                assertEquals(false, repo2.path("reachable").asBoolean(), behind.toString());
                assertEquals(true, behind.path("repositories").get(0).path("each").get(0).path("reachable").asBoolean(), behind.toString());
                assertTrue(behind.path("warnings").toString().contains("repository 2"), behind.toString());

                faulty.get(2).clear();
                primary.sql("INSERT INTO events VALUES ('after repository 2 returned')");
                String last = switchWal(primary);
                primary.await("archiving after the outage", Duration.ofSeconds(60), () -> archivedThrough(primary, last));
                primary.await("repository 2 to catch up", Duration.ofSeconds(120), () -> {
                    try {
                        JsonNode status = JSON.readTree(agent.client(env, dir, "status", "--json").stdout());
                        return status.path("repositories").get(0).path("each").get(1).path("behind_objects").asLong() == 0;
                    } catch (Exception e) {
                        return false;
                    }
                });
                List<String> walInNas = keys(faulty.get(1), "/wal/");
                assertEquals(walInNas, keys(faulty.get(2), "/wal/"), "both repositories hold the same WAL");
                assertEquals(keys(faulty.get(1), "/backup/"), keys(faulty.get(2), "/backup/"), "and the same backup");
                RunningAgent.ClientRun verify = agent.client(env, dir, "verify");
                assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());
                assertTrue(verify.stdout().contains("repository 1") && verify.stdout().contains("repository 2"), verify.stdout());

                // A WAL file missing from repository 1 and every object there damaged: reads fall over to repository 2.
                String oneWal = walInNas.stream().filter(k -> k.endsWith(during)).findFirst().orElseThrow();
                Files.delete(nas.resolve(oneWal));
                Path fetched = dir.resolve("fetched");
                Files.createDirectories(fetched);
                RunningAgent.ClientRun fetch = agent.client(env, dir, "fetch", during, fetched.resolve(during).toString());
                assertEquals(0, fetch.exitCode(), "fetched from repository 2: " + fetch.stderr());
                assertEquals(16L << 20, Files.size(fetched.resolve(during)));
                faulty.get(1).inject(new FaultyStorage.Fault(FaultyStorage.Operation.OPEN, "/backup/", 1, FaultyStorage.Failure.CORRUPT),
                        new FaultyStorage.Fault(FaultyStorage.Operation.OPEN, "/wal/", 1, FaultyStorage.Failure.CORRUPT));
                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("from-either").toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                faulty.get(1).clear();
                try (PostgresCluster copy = PostgresCluster.restored(workspace.resolve("from-either"), workspace, 55871)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("100", copy.sql("SELECT count(*) FROM events WHERE note = 'while repository 2 fails'"));
                    assertEquals("1", copy.sql("SELECT count(*) FROM events WHERE note = 'after repository 2 returned'"));
                }
            }

            // Repository 2 alone, as after losing the NAS: the backup copied there later restores.
            Map<String, String> alone = primary.agentOptions("keyring-path", keyring.toString());
            alone.putAll(s3.agentOptions("offsite", "db1"));
            try (RunningAgent agent = RunningAgent.start(dir.resolve("alone"), alone)) {
                Path aloneClient = ClientLauncher.write(dir.resolve("alone"), agent.socket());
                RunningAgent.ClientRun restore = agent.client(Map.of("WALDEN_CLIENT", aloneClient.toString()), dir, "restore",
                        "--pgdata", workspace.resolve("from-s3").toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(workspace.resolve("from-s3"), workspace, 55872)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("100", copy.sql("SELECT count(*) FROM events WHERE note = 'while repository 2 fails'"));
                    assertEquals("1", copy.sql("SELECT count(*) FROM events WHERE note = 'after repository 2 returned'"));
                }
            }
        }
    }

    /** Repository 1 keeps one daily full, repository 2 three: after four days of backups each holds exactly its own. */
    @Test
    void eachRepositoryKeepsExactlyWhatItsOwnPolicyKeeps() throws Exception {
        TestClock clock = new TestClock();
        Map<Integer, Storage> stores = new ConcurrentHashMap<>();
        try (S3ProxyServer s3 = S3ProxyServer.start(); PostgresCluster primary = PostgresCluster.initdb(workspace, "kept", 55873)) {
            s3.createBucket("months");
            Map<String, String> options = primary.agentOptions("repo-path", dir.resolve("nas").toString(), "encryption", "off",
                    "retain-daily", "1", "retain-pitr-days", "1", "retain-timezone", "UTC",
                    "repo2-retain-daily", "3", "repo2-retain-pitr-days", "1", "repo2-retain-timezone", "UTC",
                    "backup-archive-timeout", "60");
            s3.agentOptions("months", "").forEach((key, value) -> options.put(key.startsWith("repo-") ? "repo2-" + key.substring(5)
                    : "repo2-" + key, value));
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options, clock, (number, storage) -> {
                stores.put(number, storage);
                return storage;
            })) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE events (note text)");
                List<String> ids = new java.util.ArrayList<>();
                for (int daysAgo = 3; daysAgo >= 0; daysAgo--) {
                    clock.lag(Duration.ofDays(daysAgo));
                    primary.sql("INSERT INTO events VALUES ('day " + daysAgo + "')");
                    ids.add(RetentionIT.backup(agent, dir, "--type", "full"));
                }
                RunningAgent.ClientRun expire = agent.client(dir, "expire");
                assertEquals(0, expire.exitCode(), expire.stdout() + expire.stderr());
                assertTrue(expire.stdout().contains("repository 1") && expire.stdout().contains("repository 2"), expire.stdout());
                // Each keeps its daily backups, plus the one the day-long recovery window starts from (yesterday's).
                assertEquals(ids.subList(2, 4), committed(stores.get(1)), "repository 1 keeps one day");
                assertEquals(ids.subList(1, 4), committed(stores.get(2)), "repository 2 keeps three days");
                RunningAgent.ClientRun verify = agent.client(dir, "verify", "--quick");
                assertEquals(0, verify.exitCode(), "each repository holds what its own backups need: " + verify.stdout() + verify.stderr());
            }
        }
    }

    private static List<String> committed(Storage storage) throws Exception {
        return keys(storage, "/backup/").stream().filter(k -> k.endsWith("/commit"))
                .map(k -> k.substring(0, k.length() - "/commit".length())).map(k -> k.substring(k.lastIndexOf('/') + 1)).toList();
    }

    private static Map<String, String> withOption(Map<String, String> options, String key, String value) {
        Map<String, String> copy = new HashMap<>(options);
        copy.put(key, value);
        return copy;
    }

    private static List<String> keys(Storage storage, String fragment) throws Exception {
        try (Stream<Storage.StoredObject> objects = storage.listObjects("").stream()) {
            return objects.map(Storage.StoredObject::key).filter(k -> k.contains(fragment)).sorted().toList();
        }
    }

    /** Writes a little, ends the current segment and returns its name (a switch with nothing written does nothing). */
    private static String switchWal(PostgresCluster primary) throws Exception {
        primary.sql("INSERT INTO events VALUES ('filler')");
        String current = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        primary.sql("SELECT pg_switch_wal()");
        return current;
    }

    private static boolean archivedThrough(PostgresCluster primary, String segment) {
        String last = primary.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        return last != null && last.length() >= 24 && last.substring(0, 24).compareTo(segment) >= 0;
    }
}
