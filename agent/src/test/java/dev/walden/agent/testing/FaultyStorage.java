package dev.walden.agent.testing;

import dev.walden.agent.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real storage with failures injected by operation and key: what a full disk, an unreadable directory or an S3
 * outage makes the driver throw, so a real agent can be driven through them. Faults are set and cleared while it runs.
 */
public final class FaultyStorage implements Storage {
    /** An operation of the storage contract. */
    public enum Operation { PUT, OPEN, LIST, DELETE }

    /** Throws the failure for keys (or list prefixes) containing {@code fragment}. */
    public record Fault(Operation operation, String fragment, IOException failure) {}

    private final Storage inner;
    private final AtomicReference<List<Fault>> faults = new AtomicReference<>(List.of());

    public FaultyStorage(Storage inner) {
        this.inner = inner;
    }

    public void inject(Fault... fault) {
        faults.set(List.of(fault));
    }

    public void clear() {
        faults.set(List.of());
    }

    private void check(Operation operation, String key) throws IOException {
        for (Fault fault : faults.get()) {
            if (fault.operation() == operation && key.contains(fault.fragment())) {
                throw fault.failure();
            }
        }
    }

    public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
        check(Operation.PUT, key);
        return inner.putIfAbsent(key, writer);
    }

    public InputStream open(String key) throws IOException {
        check(Operation.OPEN, key);
        return inner.open(key);
    }

    public boolean exists(String key) throws IOException {
        check(Operation.OPEN, key);
        return inner.exists(key);
    }

    public List<StoredObject> listObjects(String prefix) throws IOException {
        check(Operation.LIST, prefix);
        return inner.listObjects(prefix);
    }

    public void delete(String key) throws IOException {
        check(Operation.DELETE, key);
        inner.delete(key);
    }

    public java.util.Optional<java.time.Instant> storedAt(String key) throws IOException {
        return inner.storedAt(key);
    }

    public String describe() {
        return inner.describe();
    }

    public void close() throws IOException {
        inner.close();
    }
}
