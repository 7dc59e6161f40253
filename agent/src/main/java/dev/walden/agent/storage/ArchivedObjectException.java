package dev.walden.agent.storage;

import java.io.IOException;

/**
 * The object is there, in a storage class that cannot be read at once (S3 GLACIER, DEEP_ARCHIVE): it must be
 * retrieved first ({@link Storage#requestRetrieval}), which takes hours. An answer, like not-found, not a failure.
 */
public final class ArchivedObjectException extends IOException {
    private final String storageClass;

    public ArchivedObjectException(String key, String storageClass) {
        super(key + " is stored in " + storageClass + " and must be retrieved before it can be read");
        this.storageClass = storageClass;
    }

    public String storageClass() {
        return storageClass;
    }
}
