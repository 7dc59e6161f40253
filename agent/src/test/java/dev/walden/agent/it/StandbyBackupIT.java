package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import dev.walden.agent.testing.PostgresVersion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * backup-standby: a backup copied from a standby while the primary archives its WAL restores to a point in time with
 * exactly the rows before the target; a standby further behind than standby-max-lag is refused with {@code on} and
 * passed over for the primary with {@code prefer}; a standby promoted during the backup leaves it incomplete, never listed.
 */
class StandbyBackupIT extends ClusterTest {

    /** The oldest and the newest major: the backup API during recovery is the same in between. */
    static java.util.stream.Stream<PostgresVersion> versions() {
        return java.util.stream.Stream.of(PostgresVersion.V15, PostgresVersion.of(18));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void backupsFromAStandbyRestoreAndALaggingOrPromotedStandbyIsNeverTrusted(PostgresVersion version) throws Exception {
        Assumptions.assumeTrue(version.available(), version.missing());
        int port = version.major() == 15 ? 55882 : 55910;
        try (PostgresCluster primary = PostgresCluster.initdb(version, workspace, "primary", port)) {
            Path standbyData = workspace.resolve("standby");
            // The agent that archives, and whose socket the standby's restore_command uses, stays up throughout; the
            // agents that back up (on, prefer, slowed) share its repository.
            Map<String, String> options = primary.agentOptions("standby-pg-data", standbyData.toString(), "standby-pg-host",
                    workspace.toString(), "standby-pg-port", Integer.toString(port + 1), "standby-max-lag", "1", "repo-path", dir.resolve("repo").toString());
            try (RunningAgent archiver = RunningAgent.start(dir.resolve("archiver"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("archiver"), archiver.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE events (note text)");
                assertEquals(0, archiver.client(env, dir, "backup").exitCode());
                assertEquals(0, archiver.client(env, dir, "restore", "--pgdata", standbyData.toString(), "--standby").exitCode());
                try (PostgresCluster standby = PostgresCluster.restored(version, standbyData, workspace, port + 1)) {
                standby.start();
                standby.await("the standby to stream", Duration.ofSeconds(120),
                        () -> "streaming".equals(standby.trySql("SELECT status FROM pg_stat_wal_receiver")));

                try (RunningAgent agent = RunningAgent.start(dir.resolve("agent-on"), with(options, "backup-standby", "on"))) {
                    primary.sql("INSERT INTO events SELECT 'before the backup' FROM generate_series(1, 100)");
                    awaitReplayed(primary, standby);
                    RunningAgent.ClientRun backup = agent.client(env, dir, "backup", "--json");
                    assertEquals(0, backup.exitCode(), backup.stderr());
                    assertTrue(backup.stderr().contains("backing up the standby"), backup.stderr());
                    String id = RetentionIT.JSON.readTree(backup.stdout()).get("id").asText();
                    assertTrue(agent.client(env, dir, "backup", "show", id).stdout().contains("taken from        standby"));

                    primary.sql("INSERT INTO events SELECT 'before the target' FROM generate_series(1, 10)");
                    String target = primary.sql("SELECT clock_timestamp()");
                    Thread.sleep(1100);
                    primary.sql("INSERT INTO events VALUES ('after the target')");
                    primary.sql("SELECT pg_switch_wal()");
                    RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("pitr").toString(),
                            "--backup", id, "--target-time", target, "--target-action", "promote");
                    assertEquals(0, restore.exitCode(), restore.stderr());
                    try (PostgresCluster copy = PostgresCluster.restored(version, workspace.resolve("pitr"), workspace, port + 2)) {
                        copy.start();
                        copy.awaitPromoted(Duration.ofSeconds(120));
                        assertEquals("110", copy.sql("SELECT count(*) FROM events"), "exactly the rows before the target");
                    }

                    // A standby that stopped replaying falls behind: refused with on...
                    standby.sql("SELECT pg_wal_replay_pause()");
                    primary.sql("INSERT INTO events SELECT repeat('x', 1000) FROM generate_series(1, 5000)");
                    RunningAgent.ClientRun refused = agent.client(env, dir, "backup");
                    assertEquals(1, refused.exitCode());
                    assertTrue(refused.stderr().contains("behind its primary, more than standby-max-lag"), refused.stderr());
                }
                // ... and passed over for the primary with prefer.
                try (RunningAgent agent = RunningAgent.start(dir.resolve("agent-prefer"), with(options, "backup-standby", "prefer"))) {
                    RunningAgent.ClientRun fallback = agent.client(env, dir, "backup", "--json");
                    assertEquals(0, fallback.exitCode(), fallback.stderr());
                    assertTrue(fallback.stderr().contains("backing up the primary instead of the standby"), fallback.stderr());
                    String id = RetentionIT.JSON.readTree(fallback.stdout()).get("id").asText();
                    assertTrue(agent.client(env, dir, "backup", "show", id).stdout().contains("taken from        primary"));
                }
                standby.sql("SELECT pg_wal_replay_resume()");
                primary.sql("CREATE TABLE noise AS SELECT md5(random()::text) || md5(random()::text) AS t FROM generate_series(1, 300000)");
                awaitReplayed(primary, standby);

                // Promoted while the backup copies its files (slowed by a rate limit): incomplete, and never listed.
                Map<String, String> slow = with(with(options, "backup-standby", "on"), "upload-rate-limit-mib", "1");
                try (RunningAgent agent = RunningAgent.start(dir.resolve("agent-slow"), slow)) {
                    CompletableFuture<RunningAgent.ClientRun> backup = CompletableFuture.supplyAsync(() -> agent.client(env, dir, "backup"));
                    Thread.sleep(3000);
                    standby.tool("psql", "-X", "-c", "SELECT pg_promote()");
                    RunningAgent.ClientRun promoted = backup.get();
                    assertNotEquals(0, promoted.exitCode(), "a backup whose standby was promoted is not complete");
                    assertTrue(promoted.stderr().contains("promoted"), promoted.stderr());
                    JsonNode listed = RetentionIT.JSON.readTree(agent.client(env, dir, "backup", "list", "--json").stdout());
                    long complete = java.util.stream.StreamSupport.stream(listed.spliterator(), false)
                            .filter(b -> b.path("status").asText().equals("complete")).count();
                    assertEquals(3, complete, "only the three earlier backups are complete; the interrupted one is never offered: " + listed);
                }
                }
            }
        }
    }

    private static Map<String, String> with(Map<String, String> options, String key, String value) {
        Map<String, String> copy = new HashMap<>(options);
        copy.put(key, value);
        return copy;
    }

    private static void awaitReplayed(PostgresCluster primary, PostgresCluster standby) throws Exception {
        String lsn = primary.sql("SELECT pg_current_wal_lsn()");
        standby.await("the standby to replay " + lsn, Duration.ofSeconds(60),
                () -> "t".equals(standby.trySql("SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'")));
    }
}
