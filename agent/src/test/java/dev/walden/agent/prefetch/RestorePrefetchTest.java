package dev.walden.agent.prefetch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.ZstdCompressor;
import dev.walden.agent.command.FetchCommand;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.pipeline.PushPipeline;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.storage.LocalDirectoryStorage;
import dev.walden.agent.testing.TestSegments;
import dev.walden.agent.wal.WalFileName;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restore prefetch through the real fetch pipeline: what is served from the spool, and what never is. */
class RestorePrefetchTest {
    @TempDir
    Path dir;
    private Repository repository;
    private Path wal;
    private Path restore;

    private static String segment(int i) {
        return String.format("0000000100000000%08X", i);
    }

    @BeforeEach
    void archive() throws Exception {
        repository = new Repository(new LocalDirectoryStorage(dir.resolve("repo")));
        PushPipeline push = new PushPipeline(repository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
        for (int i = 1; i <= 8; i++) {
            push.push(WalFileName.parse(segment(i)), TestSegments.write(dir.resolve("data"), segment(i), TestSegments.SYSTEM_ID, i));
        }
        Path history = Files.writeString(dir.resolve("data/pg_wal/00000002.history"), "1\t0/5000000\treason\n");
        push.push(WalFileName.parse("00000002.history"), history);
        wal = dir.resolve("data/pg_wal");
        restore = Files.createDirectories(dir.resolve("restore/pg_wal"));
    }

    private Reply fetch(FetchCommand command, String name) {
        return command.execute(new Request.Fetch(name, restore.resolve("RECOVERYXLOG").toString()));
    }

    @Test
    void followingSegmentsAreServedFromTheSpoolByteForByte() throws Exception {
        FetchPipeline pipeline = new FetchPipeline(repository, Keyring.EMPTY);
        try (RestorePrefetch prefetch = new RestorePrefetch(pipeline, dir.resolve("spool"), 4, 2, 256L << 20)) {
            FetchCommand command = new FetchCommand(pipeline, prefetch, new dev.walden.agent.metrics.WaldenMetrics(() -> Double.NaN, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), java.util.Map::of));
            assertEquals(Status.OK, fetch(command, segment(1)).status());
            for (int i = 2; i <= 8; i++) {
                Reply reply = fetch(command, segment(i));
                assertEquals(Status.OK, reply.status(), reply.message());
                assertTrue(reply.message().contains("prefetched"), reply.message());
                assertArrayEquals(Files.readAllBytes(wal.resolve(segment(i))), Files.readAllBytes(restore.resolve("RECOVERYXLOG")));
            }
            assertEquals(Status.NOT_FOUND, fetch(command, segment(9)).status(), "the end of the archive is still the end");
            Reply history = fetch(command, "00000002.history");
            assertEquals(Status.OK, history.status());
            assertFalse(history.message().contains("prefetched"), "history files always come from the repository");
        }
    }

    @Test
    void aDamagedObjectIsNeverServedFromTheSpoolAndItsFetchReportsIt() throws Exception {
        Path object = dir.resolve("repo/" + TestSegments.SYSTEM_ID + "/wal/00000001/" + segment(3));
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 1;
        Files.write(object, bytes);
        FetchPipeline pipeline = new FetchPipeline(repository, Keyring.EMPTY);
        try (RestorePrefetch prefetch = new RestorePrefetch(pipeline, dir.resolve("spool"), 4, 2, 256L << 20)) {
            FetchCommand command = new FetchCommand(pipeline, prefetch, new dev.walden.agent.metrics.WaldenMetrics(() -> Double.NaN, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), java.util.Map::of));
            assertEquals(Status.OK, fetch(command, segment(1)).status());
            assertEquals(Status.OK, fetch(command, segment(2)).status());
            Reply damaged = fetch(command, segment(3));
            assertEquals(Status.UNREADABLE, damaged.status(), damaged.message());
        }
    }

    @Test
    void segmentsArchivedAfterAFailedPrefetchAreFetchedAheadOnTheNextCall() throws Exception {
        FetchPipeline pipeline = new FetchPipeline(repository, Keyring.EMPTY);
        try (RestorePrefetch prefetch = new RestorePrefetch(pipeline, dir.resolve("spool"), 4, 2, 256L << 20)) {
            FetchCommand command = new FetchCommand(pipeline, prefetch, new dev.walden.agent.metrics.WaldenMetrics(() -> Double.NaN, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), java.util.Map::of));
            assertEquals(Status.OK, fetch(command, segment(8)).status());   // 9.. are not archived yet
            assertEquals(Status.NOT_FOUND, fetch(command, segment(9)).status());
            PushPipeline push = new PushPipeline(repository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
            for (int i = 9; i <= 10; i++) {
                push.push(WalFileName.parse(segment(i)), TestSegments.write(dir.resolve("data"), segment(i), TestSegments.SYSTEM_ID, i));
            }
            assertEquals(Status.OK, fetch(command, segment(8)).status());   // as a standby re-reads, then asks on
            Reply ninth = fetch(command, segment(9));
            assertEquals(Status.OK, ninth.status(), ninth.message());
            Reply tenth = fetch(command, segment(10));
            assertTrue(tenth.message().contains("prefetched"), "retried once archived: " + tenth.message());
        }
    }

    @Test
    void aSpoolPathThatIsNotASpoolIsNeverEmptied() throws Exception {
        FetchPipeline pipeline = new FetchPipeline(repository, Keyring.EMPTY);
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> new RestorePrefetch(pipeline, wal, 4, 2, 256L << 20));
        assertTrue(e.getMessage().contains("is not a Walden spool; refusing to empty it"), e.getMessage());
        assertTrue(Files.exists(wal.resolve(segment(1))), "the WAL is untouched");
    }

    @Test
    void theSpoolIsBoundedAndEmptiedAtStart() throws Exception {
        FetchPipeline pipeline = new FetchPipeline(repository, Keyring.EMPTY);
        new RestorePrefetch(pipeline, dir.resolve("spool"), 4, 2, 256L << 20).close();  // an earlier run made it
        Files.write(dir.resolve("spool/" + segment(2)), new byte[] {1, 2, 3});  // and left this behind
        try (RestorePrefetch prefetch = new RestorePrefetch(pipeline, dir.resolve("spool"), 8, 2, 32L << 20)) {
            assertFalse(Files.exists(dir.resolve("spool/" + segment(2))), "stale spool files are removed at start");
            FetchCommand command = new FetchCommand(pipeline, prefetch, new dev.walden.agent.metrics.WaldenMetrics(() -> Double.NaN, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), java.util.Map::of));
            assertEquals(Status.OK, fetch(command, segment(1)).status());
            assertEquals(2, prefetch.pending(), "32 MiB of spool holds two 16 MiB segments, whatever prefetch says");
            assertEquals(Status.OK, fetch(command, segment(2)).status());
            assertArrayEquals(Files.readAllBytes(wal.resolve(segment(2))), Files.readAllBytes(restore.resolve("RECOVERYXLOG")));
        }
    }

    /** What bin/walden does for a prefetched segment: hard link onto %p, then leave NAME.taken for the agent. */
    @Test
    void segmentsTakenByTheLauncherAreRemovedAndTheWindowMovesOn() throws Exception {
        FetchPipeline pipeline = new FetchPipeline(repository, Keyring.EMPTY);
        Path spool = dir.resolve("spool");
        try (RestorePrefetch prefetch = new RestorePrefetch(pipeline, spool, 2, 2, 256L << 20)) {
            FetchCommand command = new FetchCommand(pipeline, prefetch, new dev.walden.agent.metrics.WaldenMetrics(() -> Double.NaN, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), java.util.Map::of));
            assertEquals(Status.OK, fetch(command, segment(1)).status());
            for (int i = 2; i <= 8; i++) {
                Path spooled = spool.resolve(segment(i));
                Path mark = spool.resolve(segment(i) + ".taken");
                waitUntil(() -> Files.exists(spooled), segment(i) + " was not prefetched");
                Path restored = restore.resolve("RECOVERYXLOG");
                Files.deleteIfExists(restored);
                Files.createLink(restored, spooled);
                Files.createFile(mark);
                assertArrayEquals(Files.readAllBytes(wal.resolve(segment(i))), Files.readAllBytes(restored));
                waitUntil(() -> !Files.exists(spooled) && !Files.exists(mark),
                        "the agent removes a taken entry and its mark");
            }
            assertTrue(Files.exists(restore.resolve("RECOVERYXLOG")), "removing the spool entry leaves %p alone");
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition, String message) throws InterruptedException {
        for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), message);
    }
}
