package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.TestClock;
import dev.walden.agent.testing.S3ProxyServer;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * walden verify against a real, encrypted repository: clean, then with a deleted segment, a truncated object, a
 * tampered object and a missing manifest, each named with the right exit code; and a repository it cannot reach.
 */
class VerifyIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();


    static JsonNode verify(RunningAgent agent, Path dir, int expectedExit, String... extra) throws Exception {
        String[] args = new String[extra.length + 2];
        args[0] = "verify";
        args[1] = "--json";
        System.arraycopy(extra, 0, args, 2, extra.length);
        RunningAgent.ClientRun run = agent.client(dir, args);
        assertEquals(expectedExit, run.exitCode(), run.stdout() + run.stderr());
        return JSON.readTree(run.stdout());
    }

    static boolean hasProblem(JsonNode report, String kind, String text) {
        for (JsonNode p : report.get("problems")) {
            if (p.get("kind").asText().equals(kind) && (p.get("message").asText().contains(text)
                    || p.path("object").asText().contains(text) || p.path("first").asText().equals(text))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Objects are never rewritten: a verify reads only what was stored since the last one that found everything whole,
     * so a second verify of an unchanged repository reads no data; damage to an old object waits for --all (or for
     * verify-all-days). The agent's clock runs hours ahead of the store's, as if the backup were old.
     */
    @Test
    void aSecondVerifyReadsOnlyWhatIsNewAndAllReadsEverything() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "incremental-verify", 55493)) {
            TestClock clock = new TestClock();
            clock.lag(java.time.Duration.ofHours(-2));
            Map<String, String> options = primary.agentOptions("backup-bundle-mib", "1", "backup-bundle-file-kib", "64");
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options, clock)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.tool("pgbench", "-i", "-s", "1", "-q", "postgres");
                JsonNode backup = JSON.readTree(agent.client(dir, "backup", "--json").stdout());
                String system = backup.get("system_identifier").asText();
                clock.lag(java.time.Duration.ofHours(-4));

                JsonNode first = verify(agent, dir, 0);
                assertTrue(first.get("read_since").isNull(), "the first verify reads everything: " + first);
                assertTrue(first.get("checked").get("bytes_read").asLong() > 1_000_000, first.toString());

                JsonNode second = verify(agent, dir, 0);
                assertFalse(second.get("read_since").isNull(), second.toString());
                assertTrue(second.get("checked").get("unchanged_objects").asInt() >= first.get("checked").get("objects").asInt() - 2,
                        "nothing is read again: " + second);
                assertTrue(second.get("checked").get("bytes_read").asLong() < 100_000, "only manifests and histories: " + second);

                // Damage to an old object: not read again until --all.
                List<Path> objects = dataObjects(agent.repository().resolve(system + "/backup/" + backup.get("id").asText() + "/data"));
                Path tampered = objects.get(0);
                try (RandomAccessFile file = new RandomAccessFile(tampered.toFile(), "rw")) {
                    file.seek(file.length() / 2);
                    int b = file.read();
                    file.seek(file.length() / 2);
                    file.write(b ^ 0x40);
                }
                java.nio.file.Files.setLastModifiedTime(tampered, java.nio.file.attribute.FileTime.from(
                        java.time.Instant.now().minus(java.time.Duration.ofHours(3))));
                verify(agent, dir, 0);
                JsonNode all = verify(agent, dir, 1, "--all");
                assertTrue(all.get("read_since").isNull(), all.toString());
                assertTrue(hasProblem(all, "object-damaged", tampered.getFileName().toString()), all.toPrettyString());
                assertEquals(2, agent.client(dir, "verify", "--quick", "--all").exitCode(), "one mode at a time");
            }
        }
    }

    @Test
    void verifyNamesEachDamageWithTheRightExitCode() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "verified", 55494)) {
            Path keyring = dir.resolve("keyring");
            KeyringFile.addKey(keyring, Optional.empty(), true, false, new SecureRandom());
            Map<String, String> options = primary.agentOptions("keyring-path", keyring.toString(), "backup-bundle-mib", "1", "backup-bundle-file-kib", "64");
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.tool("pgbench", "-i", "-s", "2", "-q", "postgres");
                JsonNode full = JSON.readTree(agent.client(dir, "backup", "--json").stdout());
                for (int i = 0; i < 3; i++) {
                    primary.sql("SELECT pg_switch_wal()");
                    primary.sql("CREATE TABLE filler" + i + " AS SELECT generate_series(1, 1000) AS n");
                }
                primary.tool("pgbench", "-t", "200", "postgres");
                RunningAgent.ClientRun incrRun = agent.client(dir, "backup", "--type", "incr", "--json");
                assertEquals(0, incrRun.exitCode(), incrRun.stderr());
                JsonNode incr = JSON.readTree(incrRun.stdout());
                String system = full.get("system_identifier").asText();
                Path repo = agent.repository();

                JsonNode clean = verify(agent, dir, 0);
                assertEquals("ok", clean.get("result").asText());
                assertEquals(2, clean.get("checked").get("backups").asInt());
                assertTrue(clean.get("checked").get("bytes_read").asLong() > 0, clean.toString());
                assertEquals(0, agent.client(dir, "verify", "--quick").exitCode());
                assertTrue(Files.list(repo.resolve(system + "/verify")).count() >= 2, "each result is kept in the repository");

                // A segment between the two backups: a gap in the recovery window, though both backups still restore.
                String fullStop = full.get("stop_lsn").asText();
                String incrStart = incr.get("start_lsn").asText();
                String gap = firstSegmentStrictlyBetween(fullStop, incrStart, repo.resolve(system + "/wal/00000001"));
                Files.delete(repo.resolve(system + "/wal/00000001/" + gap));
                JsonNode gapped = verify(agent, dir, 1, "--quick");
                assertTrue(hasProblem(gapped, "wal-gap", gap), gapped.toPrettyString());
                assertTrue(gapped.get("problems").get(0).get("message").asText().contains("resumes at the end of backup "
                        + incr.get("id").asText()), gapped.toPrettyString());

                // A truncated data object of the full backup, which the incremental reads too.
                List<Path> fullObjects = dataObjects(repo.resolve(system + "/backup/" + full.get("id").asText() + "/data"));
                Path truncated = fullObjects.get(0);
                try (RandomAccessFile file = new RandomAccessFile(truncated.toFile(), "rw")) {
                    file.setLength(file.length() / 2);
                }
                JsonNode cut = verify(agent, dir, 1, "--quick");
                assertTrue(hasProblem(cut, "object-size", truncated.getFileName().toString()), cut.toPrettyString());

                // A tampered object, same size: only reading it finds it; encryption refuses it.
                Path tampered = fullObjects.get(1);
                try (RandomAccessFile file = new RandomAccessFile(tampered.toFile(), "rw")) {
                    file.seek(file.length() / 2);
                    int b = file.read();
                    file.seek(file.length() / 2);
                    file.write(b ^ 0x40);
                }
                assertTrue(!hasProblem(verify(agent, dir, 1, "--quick"), "object-damaged", tampered.getFileName().toString()));
                JsonNode damaged = verify(agent, dir, 1);
                assertTrue(hasProblem(damaged, "object-damaged", tampered.getFileName().toString()), damaged.toPrettyString());

                // A missing manifest.
                Files.delete(repo.resolve(system + "/backup/" + incr.get("id").asText() + "/manifest"));
                JsonNode noManifest = verify(agent, dir, 1, "--quick");
                assertTrue(hasProblem(noManifest, "manifest-missing", incr.get("id").asText()), noManifest.toPrettyString());

                RunningAgent.ClientRun text = agent.client(dir, "verify");
                assertEquals(1, text.exitCode());
                assertTrue(text.stdout().contains("problem: wal-gap"), text.stdout());
                assertTrue(text.stderr().contains("problems found"), text.stderr());
            }
        }
    }

    @Test
    void anUnreachableRepositoryIsExitCodeTwo() throws Exception {
        S3ProxyServer s3 = S3ProxyServer.start();
        s3.createBucket("verify");
        Map<String, String> options = new HashMap<>(s3.agentOptions("verify", "repo"));
        options.put("s3-max-attempts", "1");
        options.put("encryption", "off");
        Path events = dir.resolve("events.jsonl");
        options.put("notify-command", "cat >> " + events);
        options.put("s3-timeout", "5");
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
            s3.close();
            RunningAgent.ClientRun run = agent.client(dir, "verify", "--json");
            assertEquals(2, run.exitCode(), run.stdout() + run.stderr());
            JsonNode report = JSON.readTree(run.stdout());
            assertEquals("error", report.get("result").asText());
            assertTrue(report.get("error").asText().contains("could not check"), report.toString());
            RunningAgent.ClientRun text = agent.client(dir, "verify");
            assertEquals(2, text.exitCode());
            assertTrue(text.stderr().contains("HINT"), text.stderr());

            // notify-command heard of it once (one event per change of state, not one per failed run); the agent's
            // repository probe may report the outage too, under its own subject
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline && (!Files.exists(events) || !Files.readString(events).contains("\"verify\""))) {
                Thread.sleep(100);
            }
            Thread.sleep(500);
            List<String> lines = Files.readAllLines(events).stream().filter(l -> l.contains("\"subject\":\"verify\"")).toList();
            assertEquals(1, lines.size(), lines.toString());
            JsonNode event = JSON.readTree(lines.get(0));
            assertEquals("failed", event.get("event").asText());
            assertEquals("verify", event.get("subject").asText());
            assertTrue(event.get("message").asText().contains("could not check"), event.toString());
        }
    }

    static List<Path> dataObjects(Path directory) throws Exception {
        try (var files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }

    /** The first archived segment after the one holding {@code after} and before the one holding {@code before}. */
    static String firstSegmentStrictlyBetween(String after, String before, Path timelineDirectory) throws Exception {
        long from = dev.walden.agent.backup.Lsn.parse(after).value() / (16L << 20);
        long to = dev.walden.agent.backup.Lsn.parse(before).value() / (16L << 20);
        for (long s = from + 1; s < to; s++) {
            String name = dev.walden.agent.backup.Lsn.segmentName(1, s, 16L << 20);
            if (Files.exists(timelineDirectory.resolve(name))) {
                return name;
            }
        }
        throw new AssertionError("no segment between " + after + " and " + before);
    }
}
