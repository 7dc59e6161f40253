package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.TestClock;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Retention on a real cluster whose backups the agent's clock spreads over 400 days: after expiry every kept backup
 * restores (PITR inside the window from its oldest backup, and an old held backup to its consistent point), WAL
 * outside the window is gone except each kept backup's own range, and .history files stay.
 */
class RetentionIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static String backup(RunningAgent agent, Path dir, String... args) throws Exception {
        List<String> words = new ArrayList<>(List.of("backup", "--json"));
        words.addAll(List.of(args));
        RunningAgent.ClientRun run = agent.client(dir, words.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.stderr());
        return JSON.readTree(run.stdout()).get("id").asText();
    }

    @Test
    void expiryKeepsWhatEveryKeptBackupNeedsAndEachStillRestores() throws Exception {
        TestClock clock = new TestClock();
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "aged", 55491)) {
            Map<String, String> options = primary.agentOptions("backup-archive-timeout", "60");
            options.putAll(Map.of("retain-daily", "2", "retain-incr-hours", "24", "retain-pitr-days", "3", "retain-timezone", "UTC"));
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options, clock)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE events (v text)");

                primary.sql("INSERT INTO events VALUES ('a')");
                clock.lag(Duration.ofDays(400));
                String a = backup(agent, dir);
                primary.sql("INSERT INTO events VALUES ('b')");
                clock.lag(Duration.ofDays(60));
                String b = backup(agent, dir);
                RunningAgent.ClientRun held = agent.client(dir, "backup", "keep", a);
                assertEquals(0, held.exitCode(), held.stderr());
                JsonNode withHold = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
                assertEquals("released by hand", withHold.get(0).get("held_until").asText(), withHold.toString());
                assertTrue(withHold.get(1).get("held_until").isNull(), withHold.toString());
                primary.sql("INSERT INTO events VALUES ('c')");
                clock.lag(Duration.ofDays(10));
                String c = backup(agent, dir);
                primary.sql("INSERT INTO events VALUES ('c1')");
                String c1 = backup(agent, dir, "--type", "incr");
                clock.lag(Duration.ZERO);
                String d = backup(agent, dir);
                primary.sql("INSERT INTO events VALUES ('x')");
                Thread.sleep(1100);
                String target = primary.sql("SELECT clock_timestamp()");
                Thread.sleep(1100);
                primary.sql("INSERT INTO events VALUES ('y')");
                RunningAgent.ClientRun last = agent.client(dir, "backup", "--type", "incr");
                assertEquals(0, last.exitCode(), last.stderr());
                // Every backup is followed by an expiry, which says something only when it deleted something.
                assertFalse(last.stderr().contains("expired 0 backups and 0 WAL files"), last.stderr());

                // A is held; C is the newest full before the 3-day window opened, so it anchors it; D is the newest full.
                // B (60 days old, beyond 2 daily) and C1 (an incremental older than 24 h) went.
                JsonNode listed = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
                List<String> ids = new ArrayList<>();
                listed.forEach(n -> ids.add(n.get("id").asText()));
                assertEquals(4, ids.size(), listed.toString());
                assertEquals(List.of(a, c, d), ids.subList(0, 3));
                assertFalse(ids.contains(b) || ids.contains(c1), ids.toString());

                RunningAgent.ClientRun dry = agent.client(dir, "expire", "--dry-run", "--json");
                assertEquals(0, dry.exitCode(), dry.stderr());
                JsonNode plan = JSON.readTree(dry.stdout());
                assertEquals(0, plan.get("expired").get("backups").asInt(), plan.toString());
                assertEquals(0, plan.get("expired").get("wal_files").asInt(), plan.toString());
                Map<String, String> why = new HashMap<>();
                plan.get("backups").forEach(n -> why.put(n.get("id").asText(), n.get("reasons").toString()));
                assertTrue(why.get(a).contains("held"), why.toString());
                assertTrue(why.get(c).contains("anchors the 3-day point-in-time window"), why.toString());
                assertEquals(c, plan.get("recovery_window").get("anchor").asText());

                // WAL: A's own range, then nothing until C's start, then everything.
                Map<String, JsonNode> byId = new HashMap<>();
                listed.forEach(n -> byId.put(n.get("id").asText(), n));
                TreeSet<String> segments = new TreeSet<>();
                String system = Long.toUnsignedString(byId.get(a).get("system_identifier").asLong());
                for (String key : agent.storage().list(system + "/wal/00000001/")) {
                    String name = key.substring(key.lastIndexOf('/') + 1);
                    if (name.length() == 24) {
                        segments.add(name);
                    }
                }
                String aFirst = walStart(byId.get(a));
                String aLast = walStop(byId.get(a));
                String cFirst = walStart(byId.get(c));
                assertEquals(aFirst, segments.first(), "WAL before the oldest kept backup is gone: " + segments);
                assertTrue(segments.subSet(aFirst, true, aLast, true).size() == segmentsBetween(aFirst, aLast),
                        "the held backup's own range stays: " + segments);
                assertTrue(segments.subSet(aLast, false, cFirst, false).isEmpty(),
                        "WAL between the held backup and the window's anchor is gone: " + segments);
                assertEquals(segmentsBetween(cFirst, segments.last()), segments.tailSet(cFirst).size(),
                        "from the anchor on, the WAL is unbroken: " + segments);

                RunningAgent.ClientRun verify = agent.client(dir, "verify");
                assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());

                // The old held backup restores to its consistent point with only its own WAL.
                Path old = PostgresCluster.postgresDirectory(workspace.resolve("old"));
                // With no target, the restore says what A reaches (its WAL breaks off where retention cut it) and stops there.
                RunningAgent.ClientRun restoreOld = agent.client(env, dir, "restore", "--pgdata", old.toString(), "--backup", a);
                assertEquals(0, restoreOld.exitCode(), restoreOld.stderr());
                assertTrue(restoreOld.stderr().contains("so recovery is set to stop at LSN"), restoreOld.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(old, workspace, 55492)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("a", copy.sql("SELECT string_agg(v, ',' ORDER BY v) FROM events"));
                }

                // PITR inside the window from its anchor, through the expired incremental's time and the newer backups.
                // This copy archives into the repository when it promotes, as a real fork would: timeline 2.
                Path pitr = PostgresCluster.postgresDirectory(workspace.resolve("pitr"));
                RunningAgent.ClientRun restorePitr = agent.client(env, dir, "restore", "--pgdata", pitr.toString(), "--backup", c,
                        "--target-time", target, "--target-action", "promote", "--archive-mode", "preserve");
                assertEquals(0, restorePitr.exitCode(), restorePitr.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(pitr, workspace, 55493)) {
                    copy.appendConfig("archive_mode = on\n");
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("a,b,c,c1,x", copy.sql("SELECT string_agg(v, ',' ORDER BY v) FROM events"));
                    copy.await("00000002.history to be archived", Duration.ofSeconds(60),
                            () -> storageHas(agent, system + "/wal/00000002/00000002.history"));
                    copy.stop();
                }

                RunningAgent.ClientRun again = agent.client(dir, "expire");
                assertEquals(0, again.exitCode(), again.stderr());
                assertTrue(storageHas(agent, system + "/wal/00000002/00000002.history"), ".history files are never expired");
                RunningAgent.ClientRun verifyAfterFork = agent.client(dir, "verify", "--json");
                // The fork's timeline 2 is one the live primary (still on timeline 1) never had: that is reported, and only that.
                JsonNode afterFork = JSON.readTree(verifyAfterFork.stdout());
                for (JsonNode problem : afterFork.get("problems")) {
                    assertEquals("timeline-foreign", problem.get("kind").asText(), afterFork.toPrettyString());
                }

                // Released, A goes with the next expiry, and its WAL with it.
                assertEquals(0, agent.client(dir, "backup", "release", a).exitCode());
                RunningAgent.ClientRun released = agent.client(dir, "expire");
                assertEquals(0, released.exitCode(), released.stderr());
                assertTrue(released.stdout().contains(a) && released.stdout().contains("expire"), released.stdout());
                assertFalse(storageHas(agent, system + "/wal/00000001/" + aFirst), "the released backup's WAL went with it");
            }
        }
    }

    static boolean storageHas(RunningAgent agent, String key) {
        try {
            return agent.storage().exists(key);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static String walStart(JsonNode backup) {
        return Lsn.parse(backup.get("start_lsn").asText()).segmentName(backup.get("timeline").asLong(), backup.get("wal_segment_size").asLong());
    }

    static String walStop(JsonNode backup) {
        return Lsn.parse(backup.get("stop_lsn").asText()).previousSegmentName(backup.get("timeline").asLong(),
                backup.get("wal_segment_size").asLong());
    }

    /** Inclusive count of 16 MiB segments from one name to another on one timeline. */
    static int segmentsBetween(String first, String last) {
        return (int) (number(last) - number(first) + 1);
    }

    static long number(String name) {
        return Long.parseLong(name.substring(8, 16), 16) * 256 + Long.parseLong(name.substring(16, 24), 16);
    }
}
