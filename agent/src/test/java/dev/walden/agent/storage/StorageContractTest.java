package dev.walden.agent.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract in {@link Storage}'s Javadoc. Every driver runs it by extending this class. */
public abstract class StorageContractTest {
    protected Storage storage;

    /** A fresh, empty storage for one test. */
    protected abstract Storage createStorage() throws Exception;

    @BeforeEach
    void open() throws Exception {
        storage = createStorage();
    }

    @AfterEach
    void closeStorage() throws Exception {
        storage.close();
    }

    @Test
    void storedObjectsReadBackWhole() throws IOException {
        assertEquals(Storage.PutOutcome.CREATED, put("1/wal/00000001/a", "hello"));
        assertTrue(storage.exists("1/wal/00000001/a"));
        assertEquals("hello", read("1/wal/00000001/a"));
    }

    @Test
    void neverOverwrites() throws IOException {
        put("k", "first");
        assertEquals(Storage.PutOutcome.ALREADY_EXISTS, put("k", "second"));
        assertEquals("first", read("k"));
    }

    @Test
    void doesNotCallTheWriterWhenTheObjectExists() throws IOException {
        put("present", "x");
        boolean[] called = {false};
        assertEquals(Storage.PutOutcome.ALREADY_EXISTS, storage.putIfAbsent("present", out -> called[0] = true));
        assertFalse(called[0], "an existing object must not be produced again");
    }

    @Test
    void missingObjectsAreNotFound() {
        assertThrows(ObjectNotFoundException.class, () -> storage.open("absent/key"));
        assertFalse(assertDoesNotThrowIo(() -> storage.exists("absent/key")));
    }

    @Test
    void aFailedWriteLeavesNothingBehind() throws IOException {
        assertThrows(IOException.class, () -> storage.putIfAbsent("k", out -> {
            out.write("partial".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertFalse(storage.exists("k"));
        assertEquals(List.of(), storage.list(""));
        assertEquals(Storage.PutOutcome.CREATED, put("k", "whole"));
        assertEquals("whole", read("k"));
    }

    @Test
    void concurrentPutsOfOneKeyHaveExactlyOneWinner() throws Exception {
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Storage.PutOutcome>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String content = "writer-" + i + "-" + "x".repeat(100_000);
                results.add(pool.submit((Callable<Storage.PutOutcome>) () -> put("race/key", content)));
            }
            int created = 0;
            for (Future<Storage.PutOutcome> result : results) {
                created += result.get() == Storage.PutOutcome.CREATED ? 1 : 0;
            }
            assertEquals(1, created);
            String stored = read("race/key");
            assertTrue(stored.startsWith("writer-") && stored.length() == "writer-0-".length() + 100_000, "one writer's whole object");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void listsByPrefixInOrder() throws IOException {
        put("1/wal/00000002/b", "x");
        put("1/wal/00000001/b", "x");
        put("1/wal/00000001/a", "x");
        put("2/wal/00000001/a", "x");
        assertEquals(List.of("1/wal/00000001/a", "1/wal/00000001/b"), storage.list("1/wal/00000001/"));
        assertEquals(List.of("1/wal/00000001/a", "1/wal/00000001/b", "1/wal/00000002/b"), storage.list("1/wal/"));
        assertEquals(List.of(), storage.list("3/"));
    }

    @Test
    void listsSizesAndStorageTimesAsStored() throws IOException {
        java.time.Instant before = java.time.Instant.now().minusSeconds(5);
        put("1/backup/a/data/000001", "12345");
        put("1/backup/a/commit", "");
        List<Storage.StoredObject> listed = storage.listObjects("1/backup/");
        assertEquals(List.of("1/backup/a/commit=0", "1/backup/a/data/000001=5"),
                listed.stream().map(o -> o.key() + "=" + o.size()).toList());
        for (Storage.StoredObject o : listed) {
            assertTrue(o.storedAt().isPresent() && o.storedAt().get().isAfter(before), "when it was stored: " + o);
        }
    }

    @Test
    void deleteAllRemovesEveryKeyInBatchesAndIgnoresMissingOnes() throws IOException {
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 1203; i++) {
            String key = String.format("1/backup/b/data/%06d", i);
            put(key, "x");
            keys.add(key);
        }
        put("1/backup/c/commit", "kept");
        keys.add("1/backup/b/never-stored");
        storage.deleteAll(keys);
        assertEquals(List.of("1/backup/c/commit"), storage.list("1/backup/"));
        storage.deleteAll(List.of());
    }

    @Test
    void deleteIsIdempotent() throws IOException {
        put("d", "x");
        storage.delete("d");
        storage.delete("d");
        assertFalse(storage.exists("d"));
    }

    @Test
    void refusesKeysThatCouldEscape() {
        for (String key : List.of("../x", "a/../../x", "/abs", "a//b", ".hidden", "a/.tmp-x", "a\\b", "", "a b")) {
            assertThrows(IllegalArgumentException.class, () -> put(key, "x"), key);
        }
    }

    private Storage.PutOutcome put(String key, String content) throws IOException {
        return storage.putIfAbsent(key, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
    }

    private String read(String key) throws IOException {
        try (InputStream in = storage.open(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    private static <T> T assertDoesNotThrowIo(IoSupplier<T> supplier) {
        try {
            return supplier.get();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static void assertSameBytes(byte[] expected, byte[] actual) {
        assertArrayEquals(expected, actual);
    }

    @Test
    void aStreamedListingHasWhatAListHas() throws IOException {
        for (String key : java.util.List.of("7/wal/00000001/000000010000000000000001", "7/wal/00000001/000000010000000000000002",
                "7/wal/00000002/00000002.history", "7/backup/x/manifest", "8/wal/00000001/000000010000000000000001")) {
            storage.putIfAbsent(key, out -> out.write(new byte[3]));
        }
        java.util.List<Storage.StoredObject> streamed = new java.util.ArrayList<>();
        storage.forEachObject("7/wal/", streamed::add);
        streamed.sort(java.util.Comparator.comparing(Storage.StoredObject::key));
        org.junit.jupiter.api.Assertions.assertEquals(storage.listObjects("7/wal/"), streamed);
        org.junit.jupiter.api.Assertions.assertEquals(3, streamed.size());
        java.util.List<Storage.StoredObject> none = new java.util.ArrayList<>();
        storage.forEachObject("9/wal/", none::add);
        org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(), none);
    }
}
