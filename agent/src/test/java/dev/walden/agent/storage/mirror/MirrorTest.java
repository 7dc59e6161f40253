package dev.walden.agent.storage.mirror;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.storage.LocalDirectoryStorage;
import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.testing.FaultyStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two local repositories written as one, the second failing on demand: who waits, who falls behind, who catches up. */
@Timeout(60)
class MirrorTest {
    @TempDir
    Path dir;

    private Storage one;
    private FaultyStorage two;

    private Mirror mirror(List<Integer> readOrder) throws IOException {
        one = new LocalDirectoryStorage(dir.resolve("one"));
        two = new FaultyStorage(new LocalDirectoryStorage(dir.resolve("two")));
        return new Mirror(List.of(new Mirror.Member(1, one, one), new Mirror.Member(2, two, two)), readOrder, dir.resolve("spool"),
                Clock.systemUTC());
    }

    private static Storage.ObjectWriter bytes(String text, AtomicInteger calls) {
        return out -> {
            calls.incrementAndGet();
            out.write(text.getBytes(StandardCharsets.UTF_8));
        };
    }

    private static String read(Storage storage, String key) throws IOException {
        try (InputStream in = storage.open(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void everyRepositoryGetsTheBytesProducedOnce() throws Exception {
        try (Mirror mirror = mirror(List.of(1, 2))) {
            AtomicInteger calls = new AtomicInteger();
            assertEquals(Storage.PutOutcome.CREATED, mirror.wal(Mirror.Policy.EVERY).putIfAbsent("a/b", bytes("hello", calls)));
            assertEquals(1, calls.get(), "the source is read once for both");
            assertEquals("hello", read(one, "a/b"));
            assertEquals("hello", read(two, "a/b"));
            assertEquals(Storage.PutOutcome.ALREADY_EXISTS, mirror.wal(Mirror.Policy.EVERY).putIfAbsent("a/b", bytes("hello", calls)));
            assertEquals(1, calls.get(), "nothing is produced when every repository has it");
        }
    }

    @Test
    void withAckAllAFailingRepositoryFailsTheWrite() throws Exception {
        try (Mirror mirror = mirror(List.of(1, 2))) {
            two.inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "", 1, FaultyStorage.Failure.UNAVAILABLE));
            assertThrows(IOException.class, () -> mirror.wal(Mirror.Policy.EVERY).putIfAbsent("wal/x", bytes("x", new AtomicInteger())));
            assertEquals(0, mirror.lag().get(1).objects(), "nothing is queued: the push failed and PostgreSQL keeps the file");
        }
    }

    @Test
    void withAckFirstTheFailingRepositoryCatchesUpInOrder() throws Exception {
        try (Mirror mirror = mirror(List.of(1, 2))) {
            two.inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "", 1, FaultyStorage.Failure.UNAVAILABLE));
            Storage wal = mirror.wal(Mirror.Policy.FIRST);
            Storage bulk = mirror.bulk();
            wal.putIfAbsent("wal/1", bytes("w1", new AtomicInteger()));
            bulk.putIfAbsent("backup/b/data", bytes("data", new AtomicInteger()));
            bulk.putIfAbsent("backup/lock", bytes("lock", new AtomicInteger()));
            bulk.delete("backup/lock");
            bulk.putIfAbsent("backup/b/commit", bytes("commit", new AtomicInteger()));
            assertEquals(5, mirror.lag().get(1).objects());
            assertTrue(mirror.lag().get(1).since().isPresent());
            assertFalse(two.exists("backup/b/data"));
            assertEquals("commit", read(one, "backup/b/commit"), "repository 1 has it all");

            // A restart keeps what repository 2 lacks.
            Mirror again = new Mirror(mirror.members(), List.of(1, 2), dir.resolve("spool"), Clock.systemUTC());
            assertEquals(5, again.lag().get(1).objects());

            two.clear();
            again.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (again.lag().get(1).objects() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            again.close();
            assertEquals(0, again.lag().get(1).objects());
            assertEquals("w1", read(two, "wal/1"));
            assertEquals("data", read(two, "backup/b/data"));
            assertEquals("commit", read(two, "backup/b/commit"));
            assertFalse(two.exists("backup/lock"), "the removed lock is not resurrected");
        }
    }

    @Test
    void whileARepositoryIsBehindBackupObjectsQueueBehindWhatItLacks() throws Exception {
        try (Mirror mirror = mirror(List.of(1, 2))) {
            two.inject(new FaultyStorage.Fault(FaultyStorage.Operation.PUT, "", 1, FaultyStorage.Failure.UNAVAILABLE));
            mirror.bulk().putIfAbsent("backup/b/data1", bytes("1", new AtomicInteger()));
            two.clear();
            mirror.bulk().putIfAbsent("backup/b/commit", bytes("c", new AtomicInteger()));
            assertFalse(two.exists("backup/b/commit"), "a commit record never reaches a repository before the data it commits");
            assertEquals(2, mirror.lag().get(1).objects());
        }
    }

    @Test
    void readsFallOverToTheNextRepository() throws Exception {
        try (Mirror mirror = mirror(List.of(2, 1))) {
            Storage wal = mirror.wal(Mirror.Policy.EVERY);
            wal.putIfAbsent("wal/1", bytes("w1", new AtomicInteger()));
            two.delete("wal/1");
            assertEquals("w1", read(wal, "wal/1"), "missing in repository 2, read from 1");
            two.inject(new FaultyStorage.Fault(FaultyStorage.Operation.OPEN, "", 1, FaultyStorage.Failure.UNAVAILABLE));
            one.delete("wal/1");
            assertThrows(IOException.class, () -> read(wal, "wal/1"), "not 'missing' while a repository could not answer");
            two.clear();
            assertThrows(ObjectNotFoundException.class, () -> read(wal, "wal/1"));
            assertEquals(2, wal.copies().size());
            assertArrayEquals(new Object[] {two, one}, wal.copies().toArray(), "copies in the read order");
        }
    }
}
