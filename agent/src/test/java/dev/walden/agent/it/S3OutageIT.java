package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.FaultyProxy;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3 server fails (503 SlowDown) and then crawls while PostgreSQL keeps writing WAL: pushes fail or retry as
 * designed, PostgreSQL keeps every segment it could not archive, and once the server recovers every segment
 * PostgreSQL counts as archived is in the bucket and comes back byte for byte.
 */
class S3OutageIT {
    @TempDir
    Path dir;

    @Test
    void nothingIsLostThroughAnOutageAndASlowPatch() throws Exception {
        PointInTimeRecoveryIT.requirePostgres();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path keyring = dir.resolve("keyring");
        KeyringFile.addKey(keyring, Optional.empty(), true, false, new SecureRandom());
        try (S3ProxyServer s3 = S3ProxyServer.start(); FaultyProxy proxy = new FaultyProxy(s3.port())) {
            s3.createBucket("outage");
            Map<String, String> options = new HashMap<>(s3.agentOptions("outage", ""));
            options.put("s3-endpoint", "http://127.0.0.1:" + proxy.port());
            options.put("s3-max-attempts", "3");
            options.put("s3-timeout", "8");
            options.put("keyring-path", keyring.toString());
            options.put("allowed-users", "postgres");
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options);
                 PostgresCluster pg = PostgresCluster.initdb(PostgresCluster.workspace(dir), "pg", 55441)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                pg.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\nwal_keep_size = 1GB\n");
                pg.start();
                pg.sql("CREATE TABLE t (i int)");
                String first = switchWal(pg);
                awaitArchived(pg, first);

                proxy.set(FaultyProxy.Mode.SLOW_DOWN_503, 0);
                String failed = switchWal(pg);
                pg.await("failed archive attempts", Duration.ofSeconds(90),
                        () -> Integer.parseInt(pg.trySql("SELECT failed_count FROM pg_stat_archiver") + "") >= 2);
                assertTrue(Files.exists(pg.dataDirectory().resolve("pg_wal/archive_status/" + failed + ".ready")),
                        "PostgreSQL keeps the segment it could not archive");
                switchWal(pg);

                proxy.set(FaultyProxy.Mode.DELAY, 300);
                String slow = switchWal(pg);
                proxy.set(FaultyProxy.Mode.PASS, 0);
                String last = switchWal(pg);  // also wakes the archiver from its retry back-off
                awaitArchived(pg, last);
                assertTrue(slow.compareTo(last) < 0 && failed.compareTo(last) < 0);

                List<String> archived = new ArrayList<>();
                try (Stream<Path> done = Files.list(pg.dataDirectory().resolve("pg_wal/archive_status"))) {
                    done.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".done"))
                            .map(f -> f.substring(0, f.length() - 5)).forEach(archived::add);
                }
                assertTrue(archived.contains(failed), "the segment archived after the outage: " + archived);
                for (String segment : archived) {
                    Path restored = dir.resolve("restored-" + segment);
                    assertEquals(0, agent.client(dir, "fetch", segment, restored.toString()).exitCode(), segment);
                    assertEquals(-1L, Files.mismatch(pg.dataDirectory().resolve("pg_wal/" + segment), restored), segment);
                }
            }
        }
    }

    @Test
    void anAnswerNoClientCanParseIsAStorageFailureNotABug() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start(); FaultyProxy proxy = new FaultyProxy(s3.port())) {
            s3.createBucket("garbage");
            Map<String, String> options = new HashMap<>(s3.agentOptions("garbage", ""));
            options.put("s3-endpoint", "http://127.0.0.1:" + proxy.port());
            options.put("s3-max-attempts", "2");
            options.put("s3-timeout", "5");
            options.put("encryption", "off");
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path data = dir.resolve("data");
                String first = "000000010000000000000001";
                dev.walden.agent.testing.TestSegments.write(data, first, dev.walden.agent.testing.TestSegments.SYSTEM_ID, 1);
                assertEquals(0, agent.client(data, "push", "pg_wal/" + first, first).exitCode());
                proxy.set(FaultyProxy.Mode.GARBAGE_STATUS, 0);
                String second = "000000010000000000000002";
                dev.walden.agent.testing.TestSegments.write(data, second, dev.walden.agent.testing.TestSegments.SYSTEM_ID, 2);
                RunningAgent.ClientRun garbage = agent.client(data, "push", "pg_wal/" + second, second);
                assertEquals(1, garbage.exitCode(), garbage.stderr());
                assertTrue(!garbage.stderr().contains("internal error"), "a storage failure, not a bug: " + garbage.stderr());
                RunningAgent.ClientRun fetch = agent.client(dir, "fetch", first, dir.resolve("x").toString());
                assertTrue(fetch.exitCode() > 125, "recovery must not take garbage for 'missing': " + fetch.exitCode() + " " + fetch.stderr());
                proxy.set(FaultyProxy.Mode.PASS, 0);
                assertEquals(0, agent.client(data, "push", "pg_wal/" + second, second).exitCode(), "archived once the store answers");
                assertEquals(0, agent.client(dir, "fetch", second, dir.resolve("y").toString()).exitCode());
            }
        }
    }

    private static String switchWal(PostgresCluster pg) throws Exception {
        pg.sql("INSERT INTO t SELECT generate_series(1, 1000)");
        String segment = pg.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.sql("SELECT pg_switch_wal()");
        return segment;
    }

    private static void awaitArchived(PostgresCluster pg, String segment) {
        pg.await("archiving of " + segment, Duration.ofSeconds(120), () -> {
            String last = pg.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            return last != null && last.compareTo(segment) >= 0;
        });
    }
}
