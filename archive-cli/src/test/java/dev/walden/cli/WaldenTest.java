package dev.walden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.protocol.Status;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes PostgreSQL acts on, without an agent: usage errors and an absent socket. */
class WaldenTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Walden.run(args, Map.of("WALDEN_SOCKET", dir.resolve("absent.sock").toString()), dir,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void fetchWithNoAgentStopsRecoveryInsteadOfReportingNotFound() {
        assertEquals(ExitCode.ABORT_RECOVERY, run("fetch", "000000010000000000000001", "pg_wal/RECOVERYXLOG"));
        assertTrue(stderr().contains("cannot reach the agent"), stderr());
        assertEquals(1, stderr().lines().count(), "one line on stderr");
    }

    @Test
    void pushWithNoAgentFailsSoPostgresRetries() {
        assertEquals(ExitCode.FAILED, run("push", "pg_wal/000000010000000000000001", "000000010000000000000001"));
    }

    @Test
    void malformedFetchCommandLineStopsRecovery() {
        assertEquals(ExitCode.ABORT_RECOVERY, run("fetch", "000000010000000000000001"));
        assertEquals(ExitCode.ABORT_RECOVERY, run("--bogus", "fetch", "a", "b"));
        assertEquals(ExitCode.ABORT_RECOVERY, run("--timeout", "soon", "fetch", "a", "b"));
    }

    @Test
    void malformedPushCommandLineIsAUsageError() {
        assertEquals(ExitCode.USAGE, run("push", "only-one"));
        assertEquals(ExitCode.USAGE, run());
        assertEquals(ExitCode.USAGE, run("--socket"));
        assertEquals(ExitCode.USAGE, run("archive", "a", "b"));
    }

    @Test
    void verifyWithNoAgentCouldNotCheckWhichIsNotProblemsFound() {
        assertEquals(2, run("verify"));
        assertTrue(stderr().contains("cannot reach the agent"), stderr());
        assertEquals(ExitCode.FAILED, run("expire", "--dry-run"));
        assertEquals(2, run("status"), "an agent that does not answer is critical");
    }

    @Test
    void helpAndVersionSucceed() {
        assertEquals(ExitCode.OK, run("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("push %p %f"));
        assertTrue(help.contains("else " + Walden.DEFAULT_SOCKET) && help.contains("else " + Walden.DEFAULT_TIMEOUT_SECONDS), help);
        assertTrue(help.contains("expire [--dry-run]") && help.contains("verify [--quick | --all]"), help);
        assertEquals(ExitCode.OK, run("--version"));
    }

    @Test
    void exitCodesFollowPostgresContract() {
        assertEquals(0, ExitCode.forFetch(Status.OK));
        assertEquals(1, ExitCode.forFetch(Status.NOT_FOUND));
        for (Status status : Status.values()) {
            int push = ExitCode.forPush(status);
            assertTrue(push <= 125, "push must never make the archiver exit");
            if (status != Status.OK && status != Status.NOT_FOUND) {
                assertTrue(ExitCode.forFetch(status) > 125, status + " must stop recovery");
            }
        }
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
