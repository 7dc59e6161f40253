package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.TestSegments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's launcher (packaging/src/bin/walden) answering {@code walden push} for a segment the agent stored
 * ahead, with no JVM: WALDEN_JAVA=/bin/false makes any call that would start one exit 1, so exit 0 proves the fast
 * path took it, and exit 1 proves it refused to.
 */
class LauncherFastPathIT {
    private static final Path LAUNCHER = Path.of("..", "packaging", "src", "bin", "walden").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private static String segment(int i) {
        return String.format("0000000100000000%08X", i);
    }

    @Test
    void aSegmentStoredAheadIsAcknowledgedByTheLauncherOnlyWhileItIsUnchanged() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("pg_wal/archive_status"));
        Path wal = data.resolve("pg_wal");
        for (int i = 1; i <= 4; i++) {
            TestSegments.write(data, segment(i), TestSegments.SYSTEM_ID, i);
            Files.createFile(wal.resolve("archive_status/" + segment(i) + ".ready"));
        }
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), Map.of("push-ahead", "4"))) {
            Path acknowledgements = agent.socket().resolveSibling("archived-ahead");
            assertEquals(0, agent.client(data, "push", "pg_wal/" + segment(1), segment(1)).exitCode());
            archived(wal, 1);
            for (int i = 2; i <= 4; i++) {
                waitFor(acknowledgements.resolve(segment(i)));
                assertFalse(Files.exists(acknowledgements.resolve(segment(i) + ".pending")));
            }

            // The acknowledgement is the file's identity exactly as stat prints it.
            Process stat = new ProcessBuilder("stat", "-L", "-c", "%d %i %s %.9Y %.9Z", "--", wal.resolve(segment(2)).toString()).start();
            assertEquals(new String(stat.getInputStream().readAllBytes()).strip(), Files.readString(acknowledgements.resolve(segment(2))).strip());

            assertEquals(0, launcher(agent, data, "push", "pg_wal/" + segment(2), segment(2)), "served without a JVM");
            archived(wal, 2);

            // Rewritten after it was stored ahead: the launcher must not vouch for it; the agent then compares bytes.
            byte[] stored = Files.readAllBytes(wal.resolve(segment(3)));
            TestSegments.write(data, segment(3), TestSegments.SYSTEM_ID, 33);
            assertEquals(1, launcher(agent, data, "push", "pg_wal/" + segment(3), segment(3)), "went to the JVM path");
            RunningAgent.ClientRun conflict = agent.client(data, "push", "pg_wal/" + segment(3), segment(3));
            assertEquals(1, conflict.exitCode(), conflict.stderr());
            assertTrue(conflict.stderr().contains("a different file is already archived"), conflict.stderr());
            Files.write(wal.resolve(segment(3)), stored);  // put back: same bytes, new identity → agent compares, OK
            assertEquals(1, launcher(agent, data, "push", "pg_wal/" + segment(3), segment(3)));
            assertEquals(0, agent.client(data, "push", "pg_wal/" + segment(3), segment(3)).exitCode());

            // Another name, a path trick or a file that was never stored ahead never takes the fast path.
            assertEquals(1, launcher(agent, data, "push", "pg_wal/" + segment(4), "../" + segment(4)));
            assertEquals(1, launcher(agent, data, "push", "pg_wal/" + segment(4), segment(5)));

            // A pending upload of an agent that died is not waited for.
            Files.writeString(acknowledgements.resolve(segment(6) + ".pending"), "2147483647\n");
            long started = System.nanoTime();
            assertEquals(1, launcher(agent, data, "push", "pg_wal/" + segment(6), segment(6)));
            assertTrue(System.nanoTime() - started < 5_000_000_000L, "gave up waiting at once");

            // Once PostgreSQL has archived a segment (its .ready is gone), its acknowledgement is removed.
            waitForAbsence(acknowledgements.resolve(segment(2)));
        }
        assertEquals(0, Files.list(dir.resolve("agent/archived-ahead")).count(), "emptied at shutdown");
    }

    private static void archived(Path wal, int i) throws Exception {
        Files.move(wal.resolve("archive_status/" + segment(i) + ".ready"), wal.resolve("archive_status/" + segment(i) + ".done"));
    }

    private static int launcher(RunningAgent agent, Path workingDirectory, String... args) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sh", LAUNCHER.toString(), "--socket", agent.socket().toString());
        builder.command().addAll(java.util.List.of(args));
        builder.environment().put("WALDEN_JAVA", "/bin/false");
        Process process = builder.directory(workingDirectory.toFile()).inheritIO().start();
        return process.waitFor();
    }

    private static void waitFor(Path file) throws InterruptedException {
        for (int i = 0; i < 500 && !Files.exists(file); i++) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(file), file + " did not appear");
    }

    private static void waitForAbsence(Path file) throws InterruptedException {
        for (int i = 0; i < 500 && Files.exists(file); i++) {
            Thread.sleep(20);
        }
        assertFalse(Files.exists(file), file + " was not removed");
    }
}
