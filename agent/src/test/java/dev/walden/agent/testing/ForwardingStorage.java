package dev.walden.agent.testing;

import dev.walden.agent.storage.Storage;
import java.io.IOException;
import java.util.List;

/**
 * What the tests' fault-injecting wrappers extend, overriding only the calls they fail, damage or crash on. Batch
 * calls go through the single ones here, so that a fault injected into {@code delete} or {@code listObjects} also
 * meets {@code deleteAll} and {@code list}.
 */
public abstract class ForwardingStorage extends dev.walden.agent.storage.ForwardingStorage {
    protected ForwardingStorage(Storage inner) {
        super(inner);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return listObjects(prefix).stream().map(StoredObject::key).toList();
    }

    @Override
    public void deleteAll(List<String> keys) throws IOException {
        for (String key : keys) {
            delete(key);
        }
    }
}
