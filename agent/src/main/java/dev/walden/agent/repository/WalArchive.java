package dev.walden.agent.repository;

import dev.walden.agent.storage.Storage;
import dev.walden.agent.wal.InvalidWalFileNameException;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

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

    /** Takes each archived file of a listing; may fail, which ends the listing with that failure. */
    public interface Visitor<E extends Exception> {
        void visit(ArchivedWal file) throws IOException, E;
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
     * entry at a time, in no promised order); objects that are not WAL files are skipped. What the visitor throws ends
     * the listing and reaches the caller as it was thrown.
     */
    public <E extends Exception> void forEach(Visitor<E> visitor) throws IOException, E {
        forEach(prefix(), visitor);
    }

    /** As {@link #forEach(Visitor)}, for one timeline's files (its own history file among them). */
    public <E extends Exception> void forEach(long timeline, Visitor<E> visitor) throws IOException, E {
        forEach(prefix() + String.format("%08X", timeline) + "/", visitor);
    }

    /** Carries a visitor's failure through the store's listing, whose own visitor cannot throw it. */
    private static final class VisitorFailure extends RuntimeException {
        VisitorFailure(Exception cause) {
            super(cause);
        }
    }

    @SuppressWarnings("unchecked")
    private <E extends Exception> void forEach(String prefix, Visitor<E> visitor) throws IOException, E {
        try {
            storage.forEachObject(prefix, object -> {
                WalFileName name;
                try {
                    name = WalFileName.parse(object.key().substring(object.key().lastIndexOf('/') + 1));
                } catch (InvalidWalFileNameException notWal) {
                    return;  // nothing else belongs here; what is not a WAL file is never touched
                }
                try {
                    visitor.visit(new ArchivedWal(name, object.size(), object.storedAt()));
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new VisitorFailure(e);
                }
            });
        } catch (VisitorFailure failure) {
            if (failure.getCause() instanceof IOException e) {
                throw e;
            }
            throw (E) failure.getCause();
        }
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
}
