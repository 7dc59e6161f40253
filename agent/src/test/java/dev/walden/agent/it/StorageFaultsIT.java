package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.storage.StorageFailureException;
import dev.walden.agent.testing.FaultyStorage;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.TestSegments;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent whose storage fails as a full disk, an unreadable directory or an outage makes it fail: every command
 * answers, with the exit code its caller expects and one line that names the repository, the path and what to do.
 */
class StorageFaultsIT {
    @TempDir
    Path dir;

    @Test
    void everyCommandAnswersAStorageFailureWithItsOwnExitCode() throws Exception {
        AtomicReference<FaultyStorage> faulty = new AtomicReference<>();
        try (RunningAgent agent = withFaults(Map.of(), faulty)) {
            Path data = dir.resolve("data");
            String first = "000000010000000000000001";
            TestSegments.write(data, first, TestSegments.SYSTEM_ID, 1);
            assertEquals(0, agent.client(data, "push", "pg_wal/" + first, first).exitCode());
            String repository = agent.storage().describe();

            // An unreadable WAL directory: verify cannot check (2), and says what and where.
            faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.LIST, "/wal/", (java.io.IOException)
                    StorageFailureException.classify(repository, "list wal", new AccessDeniedException(dir + "/agent/repo/wal/00000001"))));
            RunningAgent.ClientRun verify = agent.client(dir, "verify");
            assertEquals(2, verify.exitCode(), verify.stdout() + verify.stderr());
            assertTrue((verify.stdout() + verify.stderr()).contains("may not read or write"), verify.stdout() + verify.stderr());

            // An unreadable backup directory: backup list answers, with the failure.
            faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.LIST, "/backup/", (java.io.IOException)
                    StorageFailureException.classify(repository, "list backups", new AccessDeniedException(dir + "/agent/repo/backup"))));
            RunningAgent.ClientRun list = agent.client(dir, "backup", "list");
            assertEquals(1, list.exitCode(), list.stdout() + list.stderr());
            assertTrue(list.stderr().contains("may not read or write"), list.stderr());
            RunningAgent.ClientRun status = agent.client(dir, "status");
            assertEquals(2, status.exitCode(), "status cannot vouch for the backups: " + status.stdout());
            assertTrue(status.stdout().contains("may not read or write"), status.stdout());

            // A full disk: push exits 1 and acknowledges nothing.
            String second = "000000010000000000000002";
            TestSegments.write(data, second, TestSegments.SYSTEM_ID, 2);
            faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, second, (java.io.IOException)
                    StorageFailureException.classify(repository, "store " + second, new FileSystemException(dir + "/agent/repo", null,
                            "No space left on device"))));
            RunningAgent.ClientRun full = agent.client(data, "push", "pg_wal/" + second, second);
            assertEquals(1, full.exitCode(), full.stderr());
            assertTrue(full.stderr().contains("file system is full"), full.stderr());

            // An outage on fetch: recovery must stop (126), not take "missing" for an answer.
            faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.OPEN, first, new StorageFailureException(
                    StorageFailureException.Kind.UNAVAILABLE, "repository " + repository + ": cannot read " + first + ": connection reset", null)));
            RunningAgent.ClientRun fetch = agent.client(dir, "fetch", first, dir.resolve("RECOVERYXLOG").toString());
            assertTrue(fetch.exitCode() > 125, fetch.exitCode() + " " + fetch.stderr());

            faulty.get().clear();
            assertEquals(0, agent.client(data, "push", "pg_wal/" + second, second).exitCode(), "works again once the fault is gone");
        }
    }

    @Test
    void aBugAndAStuckCommandAreAnsweredAndNamed() throws Exception {
        AtomicReference<FaultyStorage> faulty = new AtomicReference<>();
        try (RunningAgent agent = withFaults(Map.of("command-stall-timeout", "10"), faulty)) {
            Path data = dir.resolve("data");
            String first = "000000010000000000000001";
            TestSegments.write(data, first, TestSegments.SYSTEM_ID, 1);
            assertEquals(0, agent.client(data, "push", "pg_wal/" + first, first).exitCode());

            // A bug below a command: its own exit code, one line naming the command and the log line, no hang.
            faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.LIST, "/backup/", 1, FaultyStorage.Failure.BUG));
            RunningAgent.ClientRun list = agent.client(dir, "backup", "list");
            assertEquals(3, list.exitCode(), list.stderr());
            assertTrue(list.stderr().contains("walden backup list: internal error in the agent (IllegalStateException: a bug in a storage driver)")
                    && list.stderr().contains("journalctl"), list.stderr());
            faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.OPEN, first, 1, FaultyStorage.Failure.BUG));
            RunningAgent.ClientRun fetch = agent.client(dir, "fetch", first, dir.resolve("RECOVERYXLOG").toString());
            assertEquals(126, fetch.exitCode(), "recovery stops on a bug, never takes it for 'missing': " + fetch.stderr());

            // A store that hangs under a command: the agent stops the command and says which step it was on.
            faulty.get().inject(new FaultyStorage.Fault(FaultyStorage.Operation.LIST, "/wal/", 1, FaultyStorage.Failure.HANG));
            long started = System.nanoTime();
            RunningAgent.ClientRun verify = agent.client(dir, "verify");
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertEquals(2, verify.exitCode(), "could not check: " + verify.stderr());
            assertTrue(verify.stderr().contains("made no progress for") && verify.stderr().contains("command-stall-timeout"), verify.stderr());
            assertTrue(seconds < 60, "answered after the stall timeout, not the client's: " + seconds + " s");
            faulty.get().clear();
            assertEquals(0, agent.client(data, "push", "pg_wal/" + first, first).exitCode(), "the agent still serves WAL");
        }
    }

    /** A real agent whose storage is wrapped in a FaultyStorage, handed out through {@code faulty}. */
    private RunningAgent withFaults(Map<String, String> options, AtomicReference<FaultyStorage> faulty) throws Exception {
        return RunningAgent.start(dir.resolve("agent"), options, Clock.systemUTC(), storage -> {
            faulty.set(new FaultyStorage(storage));
            return faulty.get();
        });
    }
}
