package dev.walden.agent.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * A store that passes every call to another: what views and wrappers of a store extend, overriding only the calls
 * they change ({@link RateLimitedStorage}; the tests' fault injection).
 */
public abstract class ForwardingStorage implements Storage {
    protected final Storage inner;

    protected ForwardingStorage(Storage inner) {
        this.inner = inner;
    }

    @Override
    public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
        return inner.putIfAbsent(key, writer);
    }

    @Override
    public InputStream open(String key) throws IOException {
        return inner.open(key);
    }

    @Override
    public boolean exists(String key) throws IOException {
        return inner.exists(key);
    }

    @Override
    public Optional<java.time.Instant> storedAt(String key) throws IOException {
        return inner.storedAt(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return inner.list(prefix);
    }

    @Override
    public List<StoredObject> listObjects(String prefix) throws IOException {
        return inner.listObjects(prefix);
    }

    @Override
    public void forEachObject(String prefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        inner.forEachObject(prefix, visitor);
    }

    @Override
    public void delete(String key) throws IOException {
        inner.delete(key);
    }

    @Override
    public void deleteAll(List<String> keys) throws IOException {
        inner.deleteAll(keys);
    }

    @Override
    public Optional<String> storageClass(String key) throws IOException {
        return inner.storageClass(key);
    }

    @Override
    public void changeStorageClass(String key, String storageClass) throws IOException {
        inner.changeStorageClass(key, storageClass);
    }

    @Override
    public Retrieval retrieval(String key) throws IOException {
        return inner.retrieval(key);
    }

    @Override
    public void requestRetrieval(String key, int days, String speed) throws IOException {
        inner.requestRetrieval(key, days, speed);
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
