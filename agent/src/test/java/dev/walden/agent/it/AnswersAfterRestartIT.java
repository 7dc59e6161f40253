package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.TestSegments;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Answers that stay true (issue 18, section 6): an empty repository is not "everything holds"; a restart forgets nothing. */
class AnswersAfterRestartIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void verifyOfNothingFailsAndStatusAfterARestartShowsTheLastArchivedSegment() throws Exception {
        Path data = dir.resolve("data");
        String segment = "000000010000000000000007";
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), Map.of())) {
            RunningAgent.ClientRun empty = agent.client(dir, "verify");
            assertEquals(1, empty.exitCode(), empty.stdout() + empty.stderr());
            assertTrue((empty.stdout() + empty.stderr()).contains("no complete backup"), empty.stdout() + empty.stderr());
            TestSegments.write(data, segment, TestSegments.SYSTEM_ID, 7);
            assertEquals(0, agent.client(data, "push", "pg_wal/" + segment, segment).exitCode());
            RunningAgent.ClientRun walOnly = agent.client(dir, "verify", "--json");
            assertEquals(1, walOnly.exitCode(), walOnly.stdout());
            assertEquals("no-backup", JSON.readTree(walOnly.stdout()).get("problems").get(0).get("kind").asText());
        }
        try (RunningAgent restarted = RunningAgent.start(dir.resolve("agent"), Map.of())) {
            JsonNode status = null;
            for (int i = 0; i < 50; i++) {  // the repository is read at start-up on the monitor's thread
                status = JSON.readTree(restarted.client(dir, "status", "--json").stdout());
                if (!status.get("archiving").get("last_archived").isNull()) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(segment, status.get("archiving").get("last_archived").asText(), status.toPrettyString());
            assertTrue(status.get("archiving").get("last_success").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*"), status.toPrettyString());
            JsonNode to = status.get("backups").get("recovery_window").get("to");
            assertTrue(to == null || to.isNull() || to.asText().matches("\\d{4}-.*"), "a time or null: " + status.toPrettyString());
        }
    }

    @Test
    void aRestartRemovesWhatAKilledWriteLeftAndKeepsAWriteInProgress() throws Exception {
        Path data = dir.resolve("data");
        String first = "000000010000000000000001";
        TestSegments.write(data, first, TestSegments.SYSTEM_ID, 1);
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), Map.of())) {
            assertEquals(0, agent.client(data, "push", "pg_wal/" + first, first).exitCode());
        }
        Path repository = dir.resolve("agent/repo");
        Path abandoned = repository.resolve(".tmp-abandoned-1");
        Path recent = repository.resolve(".tmp-in-progress-2");
        java.nio.file.Files.writeString(abandoned, "left by a killed agent");
        java.nio.file.Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofHours(1))));
        java.nio.file.Files.writeString(recent, "still being written");
        try (RunningAgent restarted = RunningAgent.start(dir.resolve("agent"), Map.of())) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (java.nio.file.Files.exists(abandoned) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(!java.nio.file.Files.exists(abandoned), "an abandoned temporary file is removed at start-up");
            assertTrue(java.nio.file.Files.exists(recent), "a recent one may belong to a write in progress");
        }
    }
}
