package dev.walden.agent.guard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.ZstdCompressor;
import dev.walden.agent.command.PushCommand;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.lookahead.PushAhead;
import dev.walden.agent.metrics.WaldenMetrics;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.pipeline.PushPipeline;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.storage.LocalDirectoryStorage;
import dev.walden.agent.storage.StorageErrors;
import dev.walden.agent.testing.FaultyStorage;
import dev.walden.agent.testing.TestSegments;
import dev.walden.agent.wal.WalFileName;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spill without PostgreSQL: what a push acknowledges while the repository fails is in the spill, later pushes
 * follow it there, forwarding puts each file into the repository with the content PostgreSQL gave, and a file the
 * repository holds differently stays in the spill without holding up archiving.
 */
class PgWalGuardTest {
    @TempDir
    Path dir;

    /** A data directory's pg_wal holding segments 1 to 4, each marked .ready, as PostgreSQL leaves them to archive. */
    private Path pgWalWithFourReadySegments() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("pg_wal/archive_status"));
        for (int i = 1; i <= 4; i++) {
            TestSegments.write(data, segment(i), TestSegments.SYSTEM_ID, i);
            Files.createFile(data.resolve("pg_wal/archive_status/" + segment(i) + ".ready"));
        }
        return data.resolve("pg_wal");
    }

    static String segment(int i) {
        return String.format("0000000100000000%08X", i);
    }

    @Test
    void spilledFilesAreForwardedInFullAndAConflictStaysWithoutBlockingArchiving() throws Exception {
        Path wal = pgWalWithFourReadySegments();
        FaultyStorage repositoryStorage = new FaultyStorage(new LocalDirectoryStorage(dir.resolve("repo")));
        Repository repository = new Repository(repositoryStorage);
        PushPipeline repositoryPush = new PushPipeline(repository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
        Repository spillRepository = new Repository(new LocalDirectoryStorage(dir.resolve("spill")));
        Files.createDirectories(dir.resolve("spool"));
        try (PgWalGuard spill = guard(GuardSettings.Mode.SPILL, repository, repositoryPush, spillRepository, PgWalGuard.Aftercare.NONE)) {
            PushCommand push = new PushCommand(repositoryPush, PushAhead.NONE,
                    new WaldenMetrics(() -> Double.NaN, 16 << 20, new StorageErrors(Clock.systemUTC()), Map::of), spill);

            repositoryStorage.inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "/wal/", 1, FaultyStorage.Failure.UNAVAILABLE));
            for (int i = 1; i <= 2; i++) {
                Reply reply = push.execute(new Request.Push(segment(i), wal.resolve(segment(i)).toString()));
                assertEquals(Status.OK, reply.status(), reply.message());
                assertTrue(reply.message().startsWith("spilled"), reply.message());
            }
            assertEquals(2, spill.state().files());

            // Meanwhile the repository came to hold a different segment 3 (another server archiving under this name).
            repositoryStorage.clear();
            Path other = dir.resolve("other");
            TestSegments.write(other, segment(3), TestSegments.SYSTEM_ID, 99);
            repositoryPush.push(WalFileName.parse(segment(3)), other.resolve("pg_wal/" + segment(3)));
            repositoryStorage.inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "/wal/", 1, FaultyStorage.Failure.UNAVAILABLE));
            Reply third = push.execute(new Request.Push(segment(3), wal.resolve(segment(3)).toString()));
            assertTrue(third.message().startsWith("spilled"), "the spill holds files, so 3 follows them: " + third.message());

            repositoryStorage.clear();
            spill.forwardAll();
            PgWalGuard.State state = spill.state();
            assertEquals(1, state.files(), "only the conflicting file stays");
            assertEquals(1, state.conflicts());
            assertFalse(spill.followsSpill(), "a conflict does not keep later pushes out of the repository");
            Reply fourth = push.execute(new Request.Push(segment(4), wal.resolve(segment(4)).toString()));
            assertTrue(fourth.message().startsWith("archived"), fourth.message());

            FetchPipeline fetch = new FetchPipeline(repository, Keyring.EMPTY);
            for (int i : new int[] {1, 2, 4}) {
                Path restored = dir.resolve("restored-" + i);
                assertTrue(fetch.fetch(WalFileName.parse(segment(i)), restored).found());
                assertArrayEquals(Files.readAllBytes(wal.resolve(segment(i))), Files.readAllBytes(restored), segment(i));
            }
            // The spill still serves its copy of 3, which is PostgreSQL's.
            Path kept = dir.resolve("kept-3");
            assertTrue(spill.fetch(WalFileName.parse(segment(3)), kept).found());
            assertArrayEquals(Files.readAllBytes(wal.resolve(segment(3))), Files.readAllBytes(kept));
        }
    }

    private PgWalGuard guard(GuardSettings.Mode mode, Repository repository, PushPipeline repositoryPush, Repository spillRepository,
                             PgWalGuard.Aftercare aftercare) throws Exception {
        Files.createDirectories(dir.resolve("spool"));
        BackupObjects objects = new BackupObjects(repository.storage(), new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
        return new PgWalGuard(new GuardSettings(mode, 16L << 20, dir.resolve("spill")), spillRepository,
                new PushPipeline(spillRepository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY),
                new FetchPipeline(spillRepository, Keyring.EMPTY), repositoryPush, dir.resolve("spool"), repository, objects, aftercare,
                Clock.systemUTC(), false);
    }

    @Test
    void dropsAreJournalledThenRecordedAsOneGapAndAFullBackupIsStarted() throws Exception {
        Path wal = pgWalWithFourReadySegments();
        Files.writeString(wal.resolve("00000002.history"), "1\t0/3000000\tno recovery target specified\n");
        FaultyStorage repositoryStorage = new FaultyStorage(new LocalDirectoryStorage(dir.resolve("repo")));
        Repository repository = new Repository(repositoryStorage);
        PushPipeline repositoryPush = new PushPipeline(repository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
        repositoryPush.push(WalFileName.parse(segment(1)), wal.resolve(segment(1)));  // the repository knows its cluster
        java.util.List<String> told = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger backups = new java.util.concurrent.atomic.AtomicInteger();
        PgWalGuard.Aftercare aftercare = new PgWalGuard.Aftercare() {
            @Override
            public void dropped(WalFileName name, String message) {
                told.add(name.name());
            }

            @Override
            public java.util.Optional<java.time.Instant> newestFullStarted() {
                return java.util.Optional.empty();
            }

            @Override
            public void startFullBackup() {
                backups.incrementAndGet();
            }
        };
        try (PgWalGuard guard = guard(GuardSettings.Mode.DROP, repository, repositoryPush,
                new Repository(new LocalDirectoryStorage(dir.resolve("spill"))), aftercare)) {
            PushCommand push = new PushCommand(repositoryPush, PushAhead.NONE,
                    new WaldenMetrics(() -> Double.NaN, 16 << 20, new StorageErrors(Clock.systemUTC()), Map::of), guard);
            // The repository refuses every write, gap records included.
            repositoryStorage.inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "", 1, FaultyStorage.Failure.UNAVAILABLE));
            for (int i = 2; i <= 3; i++) {
                Reply reply = push.execute(new Request.Push(segment(i), wal.resolve(segment(i)).toString()));
                assertEquals(Status.OK, reply.status(), reply.message());
                assertTrue(reply.message().startsWith("DROPPED " + segment(i)), reply.message());
            }
            assertEquals(java.util.List.of(segment(2), segment(3)), told, "each drop is told");
            Reply history = push.execute(new Request.Push("00000002.history", wal.resolve("00000002.history").toString()));
            assertEquals(Status.UNAVAILABLE, history.status(), "a history file is never dropped: " + history.message());
            assertEquals(2, guard.state().dropsUnrecorded());

            guard.forwardAll();  // the repository still fails: the journal keeps the drops
            assertEquals(2, guard.state().dropsUnrecorded());
            repositoryStorage.clear();
            guard.forwardAll();
            assertEquals(0, guard.state().dropsUnrecorded());
            java.util.List<WalGap> gaps = WalGap.recorded(new BackupObjects(repositoryStorage, new ZstdCompressor(3),
                    ObjectEncryption.none(), Keyring.EMPTY), TestSegments.SYSTEM_ID);
            assertEquals(1, gaps.size(), gaps.toString());
            assertEquals(segment(2), gaps.get(0).first());
            assertEquals(segment(3), gaps.get(0).last());
            assertEquals(2, gaps.get(0).files());
            assertTrue(gaps.get(0).covers(1, 2, 3));
            assertEquals(1, backups.get(), "a full backup is started once the gap is recorded");
            guard.forwardAll();
            assertEquals(1, backups.get(), "and not again at once while it runs");
        }
    }
}
