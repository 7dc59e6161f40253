package dev.walden.agent.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Where archived objects live. Knows nothing about WAL: keys and bytes only.
 *
 * <p>Keys are validated by {@link StorageKeys#check}: {@code /}-separated parts of {@code [A-Za-z0-9._-]}, none
 * empty, none starting with a dot. Every implementation passes {@code StorageContractTest}.
 */
public interface Storage extends AutoCloseable {

    /** The outcome of {@link #putIfAbsent}. */
    enum PutOutcome { CREATED, ALREADY_EXISTS }

    /** Produces an object's bytes. May be called at most once per put; must write everything before returning. */
    @FunctionalInterface
    interface ObjectWriter {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * Stores an object under {@code key} unless one is there.
     *
     * <ul>
     *   <li>Atomic: a reader sees no object or the whole object, never a part.</li>
     *   <li>Durable: {@link PutOutcome#CREATED} is returned only once the object survives a crash.</li>
     *   <li>Never overwrites: if the key exists, before or concurrently, returns {@link PutOutcome#ALREADY_EXISTS},
     *       leaves the existing object untouched and discards what the writer produced.</li>
     *   <li>Cheap when present: if the key exists when the call starts, the writer is not called at all, so an
     *       archived file is neither compressed nor uploaded again.</li>
     *   <li>On an exception nothing is stored under {@code key} by this call.</li>
     * </ul>
     */
    PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException;

    /**
     * Opens an object for reading from its start.
     *
     * @throws ObjectNotFoundException when there is no object under {@code key}
     */
    InputStream open(String key) throws IOException;

    /** Whether an object exists under {@code key}. */
    boolean exists(String key) throws IOException;

    /**
     * When the object under {@code key} was stored, as the store records it; empty when there is no such object or the
     * store does not say. For status after a restart ("last archived X at T"), never for a decision about data.
     */
    default java.util.Optional<java.time.Instant> storedAt(String key) throws IOException {
        return java.util.Optional.empty();
    }

    /** Keys that start with {@code prefix}, in ascending order. An empty list when there are none. */
    default List<String> list(String prefix) throws IOException {
        return listObjects(prefix).stream().map(StoredObject::key).toList();
    }

    /**
     * An object as a listing shows it: its key, its size in bytes as stored, and when it was stored as the store
     * records it (empty when the store does not say). Objects are never rewritten, so that time does not change: verify
     * uses it to tell what it has already read from what is new.
     */
    record StoredObject(String key, long size, java.util.Optional<java.time.Instant> storedAt) {
        public StoredObject(String key, long size) {
            this(key, size, java.util.Optional.empty());
        }
    }

    /**
     * The objects whose keys start with {@code prefix}, with their stored sizes, in ascending key order; one listing
     * call per page on S3 (sizes come with it), one stat per file locally. An empty list when there are none.
     */
    List<StoredObject> listObjects(String prefix) throws IOException;

    /**
     * Hands each object whose key starts with {@code prefix} to {@code visitor} as the listing arrives, one S3 page or
     * one directory entry at a time, so that a listing of any size costs a page of memory; the order is not promised.
     */
    default void forEachObject(String prefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        listObjects(prefix).forEach(visitor);
    }

    /** Removes an object; succeeds when there is none. */
    void delete(String key) throws IOException;

    /**
     * Removes objects, as many per call to the store as it takes (S3: 1,000 per DeleteObjects); succeeds for keys with
     * none. The keys are not removed in any promised order, and on an exception some may be gone: callers pass only
     * keys whose order of removal does not matter (the data of a backup whose commit record is already gone).
     */
    default void deleteAll(List<String> keys) throws IOException {
        for (String key : keys) {
            delete(key);
        }
    }

    /** Where an object stands for reading, in a store with archive classes. */
    enum Retrieval {
        /** It can be read now: a class read at once, or a retrieved copy that has not expired. */
        READABLE,
        /** It is in an archive class and nobody asked for it: {@link #requestRetrieval} first. */
        ARCHIVED,
        /** Its retrieval was asked for and has not finished. */
        RETRIEVING
    }

    /** The object's storage class as the store names it (S3: STANDARD, GLACIER_IR, DEEP_ARCHIVE, …); empty where there are none. */
    default java.util.Optional<String> storageClass(String key) throws IOException {
        return java.util.Optional.empty();
    }

    /**
     * Moves the object to {@code storageClass} inside the store (S3: a copy onto itself with the new class), never
     * through the agent. The object's bytes and key stay the same.
     *
     * @throws IOException also where the store has no storage classes
     */
    default void changeStorageClass(String key, String storageClass) throws IOException {
        throw new IOException(describe() + " has no storage classes (only S3 has); cannot move " + key + " to " + storageClass);
    }

    /** Whether the object can be read now; stores without archive classes always say {@link Retrieval#READABLE}. */
    default Retrieval retrieval(String key) throws IOException {
        return Retrieval.READABLE;
    }

    /**
     * Asks the store to make an archived object readable for {@code days} days (S3 RestoreObject), at {@code speed}
     * (S3's Expedited, Standard or Bulk); returns at once. Nothing to do where objects are always readable.
     */
    default void requestRetrieval(String key, int days, String speed) throws IOException {}

    /**
     * The stores that each hold a copy of every object, in the order reads should try them: this store alone, except
     * for several repositories written as one. A reader that finds an object damaged in one reads the next copy.
     */
    default List<Storage> copies() {
        return List.of(this);
    }

    /** A short description for log lines, e.g. {@code local:/var/lib/walden/repo}. */
    String describe();

    @Override
    default void close() throws IOException {}
}
