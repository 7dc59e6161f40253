package dev.walden.agent.lookahead;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.ZstdCompressor;
import dev.walden.agent.command.PushCommand;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Look-ahead push on a pg_wal with .ready files, through the real pipeline and a local repository. */
class PushAheadTest {
    private static final int SEGMENTS = 6;

    @TempDir
    Path dir;

    private static String segment(int i) {
        return String.format("0000000100000000%08X", i);
    }

    private Path prepareWal() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("pg_wal/archive_status"));
        for (int i = 1; i <= SEGMENTS; i++) {
            TestSegments.write(data, segment(i), TestSegments.SYSTEM_ID, i);
            Files.createFile(data.resolve("pg_wal/archive_status/" + segment(i) + ".ready"));
        }
        return data.resolve("pg_wal");
    }

    private static Request.Push push(Path wal, int i) {
        return new Request.Push(segment(i), wal.resolve(segment(i)).toString());
    }

    @Test
    void segmentsAfterTheOneAskedForAreStoredAheadAndConfirmedByContent() throws Exception {
        Path wal = prepareWal();
        Repository repository = new Repository(new LocalDirectoryStorage(dir.resolve("repo")));
        PushPipeline pipeline = new PushPipeline(repository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
        try (PushAhead ahead = new PushAhead(pipeline, 3, 2, true, null)) {
            PushCommand command = new PushCommand(pipeline, ahead, new dev.walden.agent.metrics.WaldenMetrics(() -> Double.NaN, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), java.util.Map::of));
            assertEquals(Status.OK, command.execute(push(wal, 1)).status());
            for (int i = 2; i <= 4; i++) {
                if (!Files.exists(wal.resolve("archive_status/" + segment(i) + ".ready"))) {
                    continue;  // marked done ahead: PostgreSQL would skip it, and so does this replay
                }
                Reply reply = command.execute(push(wal, i));
                assertEquals(Status.OK, reply.status(), reply.message());
                assertTrue(reply.message().contains("archived ahead") || reply.message().contains("already archived"), reply.message());
            }
            // Marked done only once durable, and only those pushed ahead (1 was pushed by "PostgreSQL" itself). The
            // rename follows the upload's completion on the upload thread, so give it a moment.
            waitForFile(wal.resolve("archive_status/" + segment(2) + ".done"));
            assertTrue(Files.exists(wal.resolve("archive_status/" + segment(1) + ".ready")));

            // A file that changed after it was pushed ahead (5: the window slid on by itself and marked it done) is
            // not acknowledged on the strength of the upload.
            waitForFile(wal.resolve("archive_status/" + segment(5) + ".done"));
            TestSegments.write(wal.getParent(), segment(5), TestSegments.SYSTEM_ID, 99);
            Reply changed = command.execute(push(wal, 5));
            assertEquals(Status.CONFLICT, changed.status(), changed.message());
        }
        FetchPipeline fetch = new FetchPipeline(repository, Keyring.EMPTY);
        for (int i = 1; i <= 4; i++) {
            Path restored = dir.resolve("restored-" + i);
            assertTrue(fetch.fetch(WalFileName.parse(segment(i)), restored).found());
            assertArrayEquals(Files.readAllBytes(wal.resolve(segment(i))), Files.readAllBytes(restored));
        }
    }

    @Test
    void withoutMarkReadyDoneStatusFilesAreLeftToPostgres() throws Exception {
        Path wal = prepareWal();
        Repository repository = new Repository(new LocalDirectoryStorage(dir.resolve("repo")));
        PushPipeline pipeline = new PushPipeline(repository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
        try (PushAhead ahead = new PushAhead(pipeline, 8, 2, false, null)) {
            PushCommand command = new PushCommand(pipeline, ahead, new dev.walden.agent.metrics.WaldenMetrics(() -> Double.NaN, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), java.util.Map::of));
            assertEquals(Status.OK, command.execute(push(wal, 1)).status());
            assertEquals(Status.OK, command.execute(push(wal, 6)).status());
        }
        for (int i = 1; i <= SEGMENTS; i++) {
            assertTrue(Files.exists(wal.resolve("archive_status/" + segment(i) + ".ready")));
            assertFalse(Files.exists(wal.resolve("archive_status/" + segment(i) + ".done")));
            assertTrue(repository.storage().exists(Repository.objectKey(TestSegments.SYSTEM_ID, WalFileName.parse(segment(i)))));
        }
    }

    private static void waitForFile(Path file) throws InterruptedException {
        for (int i = 0; i < 500 && !Files.exists(file); i++) {
            Thread.sleep(10);
        }
        assertTrue(Files.exists(file), file + " did not appear");
    }
}
