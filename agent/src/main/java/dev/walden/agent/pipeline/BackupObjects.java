package dev.walden.agent.pipeline;

import dev.walden.agent.codec.Compressor;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.storage.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Backup objects (data, manifests, commit records) through the same object format, compression and encryption as
 * WAL: nothing a backup stores bypasses them. Every object is bound to its name, so one cannot be passed off as
 * another, and is written once, never overwritten.
 */
public final class BackupObjects {
    private final Storage storage;
    private final Compressor compressor;
    private final ObjectEncryption encryption;
    private final Keyring keyring;
    private final java.nio.file.Path scratch;

    /**
     * @param scratch a local directory for what is too large to hold in memory while it is written or read (a
     *                manifest's files); the agent's spool
     */
    public BackupObjects(Storage storage, Compressor compressor, ObjectEncryption encryption, Keyring keyring,
                         java.nio.file.Path scratch) {
        this.storage = storage;
        this.compressor = compressor;
        this.encryption = encryption;
        this.keyring = keyring;
        this.scratch = scratch;
    }

    /** With the system's temporary directory as scratch space (tests and tools). */
    public BackupObjects(Storage storage, Compressor compressor, ObjectEncryption encryption, Keyring keyring) {
        this(storage, compressor, encryption, keyring, java.nio.file.Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** The local directory for scratch files. */
    public java.nio.file.Path scratch() {
        return scratch;
    }

    /*
     * What the layout owners (BackupCatalog, DumpCatalog, RecordLog, WalArchive, the backup lock) need of the store
     * beyond encoded objects: listings and removals under their own prefixes. Nothing else lists or deletes; an
     * architecture test holds that. The store itself is not handed out.
     */

    /** The keys under {@code prefix}, in ascending order (docs/format.md: every listing here is of a bounded prefix). */
    public List<String> list(String prefix) throws IOException {
        return storage.list(prefix);
    }

    /** Hands each object under {@code prefix} to {@code visitor} as the listing streams, in no promised order. */
    public void forEachObject(String prefix, Consumer<Storage.StoredObject> visitor) throws IOException {
        storage.forEachObject(prefix, visitor);
    }

    public boolean exists(String key) throws IOException {
        return storage.exists(key);
    }

    /** Removes an object; succeeds when there is none. */
    public void delete(String key) throws IOException {
        storage.delete(key);
    }

    /** Removes objects in batches, in no promised order (see {@link Storage#deleteAll}). */
    public void deleteAll(List<String> keys) throws IOException {
        storage.deleteAll(keys);
    }

    /**
     * Creates a small plain-text marker (the backup lock: who holds it, readable by a DBA) unless one is there.
     *
     * @return whether this call created it
     */
    public boolean createMarker(String key, String text) throws IOException {
        return storage.putIfAbsent(key, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                == Storage.PutOutcome.CREATED;
    }

    /** A marker's text (its first 4 KiB), or empty when there is none. */
    public Optional<String> readMarker(String key) throws IOException {
        try (InputStream in = storage.open(key)) {
            return Optional.of(new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8));
        } catch (dev.walden.agent.storage.ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    /** The object's storage class (S3); empty where the store has none. */
    public Optional<String> storageClass(String key) throws IOException {
        return storage.storageClass(key);
    }

    /** Moves the object to another storage class inside the store (retention's monthly and yearly tiers). */
    public void changeStorageClass(String key, String storageClass) throws IOException {
        storage.changeStorageClass(key, storageClass);
    }

    /** Whether the object can be read now, or must be retrieved from an archive class first. */
    public Storage.Retrieval retrieval(String key) throws IOException {
        return storage.retrieval(key);
    }

    /** Asks the store to retrieve an archived object for {@code days} days; returns at once. */
    public void requestRetrieval(String key, int days, String speed) throws IOException {
        storage.requestRetrieval(key, days, speed);
    }

    /** For messages: the store this repository lives in, e.g. {@code local:/var/lib/walden/repo}. */
    public String describe() {
        return storage.describe();
    }

    /** The archived WAL of cluster {@code systemIdentifier} in the same repository. */
    public dev.walden.agent.repository.WalArchive walArchive(long systemIdentifier) {
        return new dev.walden.agent.repository.WalArchive(storage, systemIdentifier);
    }

    /** What one write stored: the original bytes and the bytes the repository holds for them. */
    public record Stored(long originalBytes, long storedBytes) {}

    /**
     * Writes an object durably.
     *
     * @throws IOException also when an object is already stored under {@code key}: backup keys are never reused
     */
    public Stored write(String key, String name, ObjectKind kind, ObjectSource source) throws IOException {
        long[] counts = new long[2];
        Storage.PutOutcome outcome = storage.putIfAbsent(key, out -> {
            CountingOutputStream counting = new CountingOutputStream(out);
            counts[0] = ObjectCodec.write(counting, kind, name, compressor, encryption, source).originalLength();
            counts[1] = counting.count();
        });
        if (outcome == Storage.PutOutcome.ALREADY_EXISTS) {
            throw new IOException("an object is already stored under " + key + "; backup objects are never overwritten");
        }
        return new Stored(counts[0], counts[1]);
    }

    private static ObjectSource chunked(byte[] bytes) {
        int[] position = {0};
        return buffer -> {
            int count = Math.min(buffer.remaining(), bytes.length - position[0]);
            buffer.put(bytes, position[0], count);
            position[0] += count;
            return position[0] < bytes.length;
        };
    }

    /** Writes an object held in memory (manifests, commit records). */
    public Stored writeBytes(String key, String name, ObjectKind kind, byte[] bytes) throws IOException {
        return write(key, name, kind, chunked(bytes));
    }

    /**
     * Reads and verifies an object, writing its original bytes to {@code destination}.
     *
     * @throws CorruptObjectException when it is damaged, tampered with, for another name, or larger than {@code maxLength}
     * @throws dev.walden.agent.storage.ObjectNotFoundException when there is none
     */
    public void read(String key, String name, ObjectKind kind, long maxLength, WritableByteChannel destination)
            throws IOException, CorruptObjectException {
        if (!(destination instanceof Restartable restartable)) {
            try (InputStream object = storage.open(key)) {
                ObjectCodec.read(object, name, kind, keyring, destination, maxLength);
            }
            return;
        }
        boolean[] again = {false};
        Copies.firstIntact(storage, key, object -> {
            if (again[0]) {
                restartable.restart();
            }
            again[0] = true;
            return ObjectCodec.read(object, name, kind, keyring, destination, maxLength);
        });
    }

    /**
     * A destination that can take an object again from its start: with several repositories, a read that finds one
     * copy damaged (or a repository failing) part way through goes on with the next copy.
     */
    public interface Restartable extends WritableByteChannel {
        /** Forgets what was written, so that the object's bytes can be written again from the first. */
        void restart() throws IOException;
    }

    /**
     * Reads an object end to end, writing nothing: authenticates, decompresses and checks it; returns its original length.
     *
     * @throws CorruptObjectException when it is damaged, tampered with or for another name
     */
    public long verify(String key, String name, ObjectKind kind) throws IOException, CorruptObjectException {
        try (InputStream object = storage.open(key)) {
            return ObjectCodec.read(object, name, kind, keyring, DiscardingChannel.INSTANCE, Long.MAX_VALUE).originalLength();
        }
    }

    /** Reads a whole object into memory; for manifests and commit records. */
    public byte[] readBytes(String key, String name, ObjectKind kind, long maxLength) throws IOException, CorruptObjectException {
        return Copies.firstIntact(storage, key, object -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ObjectCodec.read(object, name, kind, keyring, Channels.newChannel(bytes), maxLength);
            return bytes.toByteArray();
        });
    }
}
