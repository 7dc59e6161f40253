package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import dev.walden.agent.crypto.KeyringFile;
import java.security.SecureRandom;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import dev.walden.agent.testing.S3ProxyServer;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL 15 archives through walden into the agent, and point-in-time recovery restores exactly the rows
 * committed before the target; a promoted copy archives its .history file and a second recovery follows the new
 * timeline; a recovery that replays a failed primary's unarchived tail archives that segment as .partial.
 */
class PointInTimeRecoveryIT {
    private static final Duration ARCHIVE_WAIT = Duration.ofSeconds(90);

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    @ParameterizedTest(name = "repo-type = {0}, encrypted = {1}")
    @CsvSource({"local, false", "local, true", "s3, true"})
    void recoversToATimestampAndFollowsANewTimeline(String repoType, boolean encrypted) throws Exception {
        requirePostgres();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        // PostgreSQL runs walden as its own user; the test agent runs as the test's user and must admit it.
        Map<String, String> options = new java.util.HashMap<>(Map.of("allowed-users", "postgres"));
        if (encrypted) {
            Path keyring = dir.resolve("keyring");
            KeyringFile.addKey(keyring, Optional.empty(), true, false, new SecureRandom());
            options.put("keyring-path", keyring.toString());
        }
        S3ProxyServer s3 = null;
        if (repoType.equals("s3")) {
            s3 = S3ProxyServer.start();
            s3.createBucket("pitr");
            options.putAll(s3.agentOptions("pitr", "clusters/main"));
        }
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options); AutoCloseable server = s3) {
            Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
            Path workspace = PostgresCluster.workspace(dir);
            String archiving = "archive_mode = on\narchive_command = '" + walden + " push %p %f'\n";
            String restoring = "restore_command = '" + walden + " fetch %f %p'\n";

            Path base;
            String target;
            String unarchivedTail;
            try (PostgresCluster primary = PostgresCluster.initdb(workspace, "primary", 55431)) {
                primary.appendConfig(archiving);
                primary.start();
                primary.sql("CREATE TABLE events (id int PRIMARY KEY, note text NOT NULL)");
                base = primary.baseBackup("base");
                primary.sql("INSERT INTO events VALUES (1, 'before-1')");
                primary.sql("INSERT INTO events VALUES (2, 'before-2')");
                Thread.sleep(50); // keep the target strictly between the two commits' timestamps
                target = primary.sql("SELECT clock_timestamp()");
                Thread.sleep(50);
                primary.sql("INSERT INTO events VALUES (3, 'after-target')");
                switchAndAwaitArchived(primary);
                assertEquals("0", primary.sql("SELECT failed_count FROM pg_stat_archiver"), "no archive failures");
                // A last commit whose segment is never archived: the primary "fails" before switching.
                primary.sql("INSERT INTO events VALUES (5, 'unarchived-tail')");
                unarchivedTail = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
                primary.crash();
            }
            assertFalse(archived(agent, unarchivedTail), "the tail segment must not be archived yet");

            // 1. Point-in-time recovery to a timestamp, then promotion to timeline 2.
            try (PostgresCluster restored = PostgresCluster.fromBaseBackup(base, workspace, "restored", 55432,
                    restoring + archiving + "recovery_target_time = '" + target + "'\nrecovery_target_action = 'promote'\n")) {
                restored.start();
                awaitPromoted(restored);
                assertEquals("before-1,before-2", rows(restored), "exactly the rows committed before the target time");
                assertEquals("2", restored.sql("SELECT timeline_id FROM pg_control_checkpoint()"));
                restored.sql("INSERT INTO events VALUES (4, 'timeline-2')");
                switchAndAwaitArchived(restored);
                restored.await("00000002.history archived", ARCHIVE_WAIT, () -> archived(agent, "00000002.history"));
            }

            // 2. A second recovery with recovery_target_timeline = latest follows timeline 2 from the archive.
            try (PostgresCluster second = PostgresCluster.fromBaseBackup(base, workspace, "second", 55433,
                    restoring + "archive_mode = off\nrecovery_target_timeline = 'latest'\n")) {
                second.start();
                awaitPromoted(second);
                assertEquals("before-1,before-2,timeline-2", rows(second),
                        "recovery followed timeline 2, which branched before the third row");
            }

            // 3. The runbook's "copy the failed primary's unarchived pg_wal files" step: recovery on timeline 1
            //    replays the archive and then the local tail; promotion archives that tail as a .partial segment.
            try (PostgresCluster tail = PostgresCluster.fromBaseBackup(base, workspace, "tail", 55434,
                    restoring + archiving + "recovery_target_timeline = 'current'\n")) {
                PostgresCluster.copyAsPostgres(workspace.resolve("primary/pg_wal/" + unarchivedTail),
                        tail.dataDirectory().resolve("pg_wal/" + unarchivedTail));
                tail.start();
                awaitPromoted(tail);
                assertEquals("before-1,before-2,after-target,unarchived-tail", rows(tail));
                assertEquals("3", tail.sql("SELECT timeline_id FROM pg_control_checkpoint()"),
                        "timeline 2 is taken in the archive, so the new one is 3");
                tail.await(".partial and 00000003.history archived", ARCHIVE_WAIT,
                        () -> archived(agent, unarchivedTail + ".partial") && archived(agent, "00000003.history"));
            }

            // 4. The archived .partial is byte-for-byte what the promoted cluster handed over.
            Path fetched = dir.resolve("fetched.partial");
            assertEquals(0, agent.client(dir, "fetch", unarchivedTail + ".partial", fetched.toString()).exitCode());
            assertEquals(16 << 20, Files.size(fetched));
            try (java.io.InputStream record = agent.storage().open("walden.repository")) {
                assertEquals(encrypted ? "encryption aes-256-gcm" : "encryption none",
                        new String(record.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList().get(2));
            }
        }
    }

    private static String rows(PostgresCluster cluster) throws IOException {
        return cluster.sql("SELECT string_agg(note, ',' ORDER BY id) FROM events");
    }

    private static void switchAndAwaitArchived(PostgresCluster cluster) throws IOException {
        String segment = cluster.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        cluster.sql("SELECT pg_switch_wal()");
        cluster.await("archiving of " + segment, ARCHIVE_WAIT, () -> {
            String last = cluster.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            return last != null && last.length() >= 24 && last.substring(0, 24).compareTo(segment) >= 0
                    && !last.endsWith(".history");
        });
    }

    private static void awaitPromoted(PostgresCluster cluster) {
        cluster.await("end of recovery", Duration.ofMinutes(3), () -> "f".equals(cluster.trySql("SELECT pg_is_in_recovery()")));
    }

    /** Asks the repository itself, local or S3, through the agent's storage. */
    private static boolean archived(RunningAgent agent, String name) {
        try {
            return agent.storage().list("").stream().anyMatch(key -> key.endsWith("/" + name));
        } catch (IOException e) {
            return false;
        }
    }

    static void requirePostgres() {
        boolean available = PostgresCluster.available();
        if (!available && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("PostgreSQL 15 is missing at " + PostgresCluster.BIN + "; .ci/run should have installed it");
        }
        Assumptions.assumeTrue(available, "PostgreSQL 15 is not installed at " + PostgresCluster.BIN);
    }
}
