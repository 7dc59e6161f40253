package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.FaultyStorage;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import dev.walden.agent.testing.PostgresVersion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code pg-wal-guard = spill} on a real cluster: while the repository refuses every WAL write, pushes are
 * acknowledged into spill-path once pg_wal's backlog reaches the limit, fetch serves them from there, status says so;
 * when the repository returns they are forwarded, verify finds the archive whole, and a restore replays the rows
 * written during the outage.
 */
class SpillIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Stream<PostgresVersion> versions() {
        return PostgresVersion.all().stream();
    }

    /** On every major: the spill is fed by PostgreSQL's own archive_status and replayed by its own recovery. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void whileTheRepositoryFailsAFullPgWalSpillsAndEverySpilledFileReachesTheRepository(PostgresVersion version) throws Exception {
        Assumptions.assumeTrue(version.available(), version.missing());
        Path spill = dir.resolve("spill");
        AtomicReference<FaultyStorage> faulty = new AtomicReference<>();
        int port = 55840 + 2 * (version.major() - 15);
        try (PostgresCluster primary = PostgresCluster.initdb(version, workspace, "spill", port)) {
            Map<String, String> options = primary.agentOptions("pg-wal-guard", "spill", "pg-wal-max-mib", "16",
                    "spill-path", spill.toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options, Clock.systemUTC(), s -> {
                faulty.set(new FaultyStorage(s));
                return faulty.get();
            })) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE events (note text)");
                primary.sql("INSERT INTO events VALUES ('before the outage')");
                RunningAgent.ClientRun backup = agent.client(env, dir, "backup");
                assertEquals(0, backup.exitCode(), backup.stderr());

                // The repository refuses every WAL write from now on.
                faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "/wal/", 1, FaultyStorage.Failure.UNAVAILABLE));
                String lastSwitched = null;
                for (int i = 0; i < 3; i++) {
                    primary.sql("INSERT INTO events SELECT 'during the outage' FROM generate_series(1, 100)");
                    lastSwitched = switchWal(primary);
                }
                String third = lastSwitched;
                primary.await("three segments acknowledged into the spill", Duration.ofSeconds(60), () -> archivedThrough(primary, third));
                assertTrue(spilledFiles(spill) >= 3, "the spill holds what was acknowledged: " + spilledFiles(spill));
                JsonNode status = JSON.readTree(agent.client(env, dir, "status", "--json").stdout());
                assertTrue(status.path("archiving").path("spilled").path("files").asInt() >= 3, status.toString());
                assertTrue(status.toString().contains("spill-path"), status.toString());

                // A spilled file is served from the spill while the repository lacks it.
                String spilledName;
                try (Stream<Path> files = Files.walk(spill)) {
                    spilledName = files.map(p -> p.getFileName().toString()).filter(n -> n.length() == 24).sorted().findFirst().orElseThrow();
                }
                Path fetched = dir.resolve("fetched");
                Files.createDirectories(fetched);
                RunningAgent.ClientRun fetch = agent.client(env, dir, "fetch", spilledName, fetched.resolve(spilledName).toString());
                assertEquals(0, fetch.exitCode(), fetch.stderr());
                assertEquals(16L << 20, Files.size(fetched.resolve(spilledName)));

                // The repository returns: everything spilled is forwarded, and archiving goes on there.
                faulty.get().clear();
                primary.await("the spill to be forwarded", Duration.ofSeconds(60), () -> spilledFiles(spill) == 0);
                primary.sql("INSERT INTO events VALUES ('after the outage')");
                long archivedAfter = archived(primary);
                primary.sql("SELECT pg_switch_wal()");
                primary.await("a segment archived after the outage", Duration.ofSeconds(60), () -> archived(primary) > archivedAfter);
                assertEquals(0, spilledFiles(spill), "pushes go to the repository again once the spill is empty");

                RunningAgent.ClientRun verify = agent.client(env, dir, "verify");
                assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());

                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("restored").toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(version, workspace.resolve("restored"), workspace, port + 1)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("300", copy.sql("SELECT count(*) FROM events WHERE note = 'during the outage'"));
                    assertEquals("1", copy.sql("SELECT count(*) FROM events WHERE note = 'after the outage'"));
                }
            }
        }
    }

    @Test
    void withDropTheDatabaseKeepsGoingTheGapIsRecordedAndAFullBackupFollows() throws Exception {
        AtomicReference<FaultyStorage> faulty = new AtomicReference<>();
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "drop", 55832)) {
            Map<String, String> options = primary.agentOptions("pg-wal-guard", "drop", "pg-wal-max-mib", "16",
                    "spill-path", dir.resolve("guard").toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent-drop"), options, Clock.systemUTC(), s -> {
                faulty.set(new FaultyStorage(s));
                return faulty.get();
            })) {
                Path walden = ClientLauncher.write(dir.resolve("agent-drop"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE events (note text)");
                RunningAgent.ClientRun first = agent.client(env, dir, "backup");
                assertEquals(0, first.exitCode(), first.stderr());

                faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "/wal/", 1, FaultyStorage.Failure.UNAVAILABLE));
                String lastSwitched = null;
                for (int i = 0; i < 2; i++) {
                    primary.sql("INSERT INTO events SELECT 'lost with the dropped WAL' FROM generate_series(1, 100)");
                    lastSwitched = switchWal(primary);
                }
                String second = lastSwitched;
                primary.await("two segments acknowledged by dropping them", Duration.ofSeconds(60), () -> archivedThrough(primary, second));
                JsonNode during = JSON.readTree(agent.client(env, dir, "status", "--json").stdout());
                assertTrue(during.toString().contains("dropped"), during.toString());
                assertEquals("critical", during.path("health").asText(), during.toString());

                // The repository returns: the gap is recorded there, and a full backup is taken on the agent's own.
                faulty.get().clear();
                primary.sql("INSERT INTO events VALUES ('after the outage')");
                primary.sql("SELECT pg_switch_wal()");
                primary.await("the gap to be recorded and a full backup taken after it", Duration.ofSeconds(120), () -> {
                    try {
                        JsonNode listed = JSON.readTree(agent.client(env, dir, "backup", "list", "--json").stdout());
                        return listed.size() >= 2 && "complete".equals(listed.get(listed.size() - 1).path("status").asText());
                    } catch (Exception e) {
                        return false;
                    }
                });
                JsonNode after = JSON.readTree(agent.client(env, dir, "status", "--json").stdout());
                JsonNode gap = after.path("archiving").path("dropped").get(0);
                assertTrue(gap != null && gap.path("files").asInt() >= 2 && gap.path("full_backup_since").asBoolean(), after.toString());

                RunningAgent.ClientRun verify = agent.client(env, dir, "verify");
                assertEquals(0, verify.exitCode(), "a recorded gap with a full backup after it is not a problem: " + verify.stdout()
                        + verify.stderr());
                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("after-drop").toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(workspace.resolve("after-drop"), workspace, 55833)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("1", copy.sql("SELECT count(*) FROM events WHERE note = 'after the outage'"));
                }
            }
        }
    }

    /** Ends the current segment and returns its name. */
    private static String switchWal(PostgresCluster primary) throws Exception {
        String current = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
        primary.sql("SELECT pg_switch_wal()");
        return current;
    }

    /**
     * Whether PostgreSQL has archived every segment up to {@code segment} (it archives in order; counting archived
     * files would also count a backup's history file, which may come first).
     */
    private static boolean archivedThrough(PostgresCluster primary, String segment) {
        String last = primary.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
        return last != null && last.length() >= 24 && last.substring(0, 24).compareTo(segment) >= 0;
    }

    private static long archived(PostgresCluster primary) {
        String count = primary.trySql("SELECT archived_count FROM pg_stat_archiver");
        return count == null || count.isBlank() ? -1 : Long.parseLong(count.strip());
    }

    private static long spilledFiles(Path spill) {
        try (Stream<Path> files = Files.walk(spill)) {
            return files.filter(p -> p.toString().contains("/wal/") && Files.isRegularFile(p)
                    && !p.getFileName().toString().startsWith(".")).count();
        } catch (Exception e) {
            return -1;
        }
    }
}
