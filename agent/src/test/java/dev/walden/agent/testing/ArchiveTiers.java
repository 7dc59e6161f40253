package dev.walden.agent.testing;

import dev.walden.agent.storage.ArchivedObjectException;
import dev.walden.agent.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * S3's archive classes, which no S3-compatible server here has, around a real store: an object moved to GLACIER or
 * DEEP_ARCHIVE (the move still goes to the store, so its storage-class header is sent) is refused to readers as AWS
 * refuses it (InvalidObjectState, which the S3 driver turns into {@link ArchivedObjectException}) until a retrieval
 * was asked for and {@link #finishRetrievals} says S3 is done. Everything else passes through.
 */
public final class ArchiveTiers extends ForwardingStorage {
    private enum State { ARCHIVED, RETRIEVING, RETRIEVED }

    private final Map<String, String> classes = new ConcurrentHashMap<>();
    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();

    public ArchiveTiers(Storage inner) {
        super(inner);
    }

    /** S3 has finished every retrieval asked for so far. */
    public void finishRetrievals() {
        states.replaceAll((key, state) -> state == State.RETRIEVING ? State.RETRIEVED : state);
    }

    /** How many RestoreObject calls were made. */
    public int retrievalRequests() {
        return requests.get();
    }

    /** The class each moved object is in now. */
    public Map<String, String> classes() {
        return Map.copyOf(classes);
    }

    private static boolean archive(String storageClass) {
        return storageClass.equals("GLACIER") || storageClass.equals("DEEP_ARCHIVE");
    }

    @Override
    public void changeStorageClass(String key, String storageClass) throws IOException {
        inner.changeStorageClass(key, storageClass);
        classes.put(key, storageClass);
        if (archive(storageClass)) {
            states.put(key, State.ARCHIVED);
        } else {
            states.remove(key);
        }
    }

    @Override
    public Optional<String> storageClass(String key) throws IOException {
        String known = classes.get(key);
        return known != null ? Optional.of(known) : inner.storageClass(key);
    }

    @Override
    public Retrieval retrieval(String key) throws IOException {
        State state = states.get(key);
        if (state == null) {
            return inner.exists(key) ? Retrieval.READABLE : inner.retrieval(key);
        }
        return switch (state) {
            case ARCHIVED -> Retrieval.ARCHIVED;
            case RETRIEVING -> Retrieval.RETRIEVING;
            case RETRIEVED -> Retrieval.READABLE;
        };
    }

    @Override
    public void requestRetrieval(String key, int days, String speed) {
        requests.incrementAndGet();
        states.computeIfPresent(key, (k, state) -> state == State.ARCHIVED ? State.RETRIEVING : state);
    }

    @Override
    public InputStream open(String key) throws IOException {
        State state = states.get(key);
        if (state == State.ARCHIVED || state == State.RETRIEVING) {
            throw new ArchivedObjectException(key, classes.get(key));
        }
        return inner.open(key);
    }
}
