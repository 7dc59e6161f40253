package dev.walden.agent.repository;

import dev.walden.agent.storage.Storage;
import dev.walden.agent.wal.InvalidWalFileNameException;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One cluster's archived WAL in a repository, beside {@code BackupCatalog} and {@code DumpCatalog}: the one place
 * that knows where WAL files lie ({@code SYSID/wal/TIMELINE/NAME}, docs/format.md) and lists them. Verify, expiry,
 * drills, restores and the metrics read the archive through it; the push and fetch pipelines write and read single
 * objects by {@link #key}.
 */
public final class WalArchive {
    private final Storage storage;
    private final long systemIdentifier;

    public WalArchive(Storage storage, long systemIdentifier) {
        this.storage = storage;
        this.systemIdentifier = systemIdentifier;
    }

    /** An archived file as a listing shows it. */
    public record ArchivedWal(WalFileName name, long storedBytes, Optional<Instant> storedAt) {}

    public long systemIdentifier() {
        return systemIdentifier;
    }

    /** The object key of an archived file. */
    public String key(WalFileName name) {
        return Repository.objectKey(systemIdentifier, name);
    }

    private String prefix() {
        return Long.toUnsignedString(systemIdentifier) + "/wal/";
    }

    /**
     * Hands every archived file, on every timeline, to {@code visitor} as the listing streams (an S3 page or a directory
     * entry at a time, in no promised order); objects that are not WAL files are skipped. A visitor's unchecked
     * exception ends the listing and reaches the caller as it was thrown.
     */
    public void forEach(Consumer<ArchivedWal> visitor) throws IOException {
        forEach(prefix(), visitor);
    }

    /** As {@link #forEach(Consumer)}, for one timeline's files (its own history file among them). */
    public void forEach(long timeline, Consumer<ArchivedWal> visitor) throws IOException {
        forEach(prefix() + String.format("%08X", timeline) + "/", visitor);
    }

    private void forEach(String prefix, Consumer<ArchivedWal> visitor) throws IOException {
        storage.forEachObject(prefix, object -> {
            WalFileName name;
            try {
                name = WalFileName.parse(object.key().substring(object.key().lastIndexOf('/') + 1));
            } catch (InvalidWalFileNameException notWal) {
                return;  // nothing else belongs here; what is not a WAL file is never touched
            }
            visitor.accept(new ArchivedWal(name, object.size(), object.storedAt()));
        });
    }

    public boolean exists(WalFileName name) throws IOException {
        return storage.exists(key(name));
    }

    /** When a file was stored, as the store records it; empty when it does not say, or there is no such file. */
    public Optional<Instant> storedAt(WalFileName name) throws IOException {
        return storage.storedAt(key(name));
    }

    /** Removes files, a store's batch per call (S3: 1,000 per DeleteObjects), in no promised order; missing ones are fine. */
    public void deleteAll(List<WalFileName> names) throws IOException {
        storage.deleteAll(names.stream().map(this::key).toList());
    }

    /** For messages: the store this archive lives in. */
    public String describe() {
        return storage.describe();
    }
}
