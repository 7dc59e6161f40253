package dev.walden.agent.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * The one door to the repository's storage: every failure that leaves it is an {@link ObjectNotFoundException}, a
 * {@link StorageFailureException} of a known kind, or a bug. Drivers classify what they know (the SDK's answers, the
 * file system's errors); this wrapper classifies what slipped past them (an {@link UncheckedIOException} from a walk, an
 * {@link IOException} while reading an object's bytes) and counts each failure once, for metrics and status.
 * Failures of the writer given to {@link #putIfAbsent} (the source file could not be read) pass through unchanged.
 * Every call of the contract that reaches the store is overridden here; only {@code describe} and {@code close} are
 * forwarded as they are.
 */
public final class ClassifiedStorage extends ForwardingStorage {
    private final StorageErrors errors;

    public ClassifiedStorage(Storage inner, StorageErrors errors) {
        super(inner);
        this.errors = errors;
    }

    /** What a failure inside the storage layer becomes: the driver's own classification, or the local file system's. */
    private IOException classified(String what, Throwable failure) {
        IOException e = StorageFailureException.classify(inner.describe(), what, failure);
        if (e instanceof StorageFailureException storageFailure) {
            errors.record(storageFailure);
        }
        return e;
    }

    @Override
    public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
        IOException[] writerOwn = new IOException[1];
        try {
            return inner.putIfAbsent(key, out -> {
                try {
                    writer.writeTo(new ClassifyingOutput(out, "store " + key));
                } catch (StorageFailureException e) {
                    throw e;
                } catch (IOException e) {
                    writerOwn[0] = e;
                    throw e;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            if (e == writerOwn[0]) {
                throw writerOwn[0];
            }
            throw classified("store " + key, e);
        }
    }

    /** The object's output: a failure to write it (a full disk) is the storage's, told apart from the writer's own. */
    private final class ClassifyingOutput extends java.io.FilterOutputStream {
        private final String what;

        ClassifyingOutput(java.io.OutputStream out, String what) {
            super(out);
            this.what = what;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException | UncheckedIOException e) {
                throw StorageFailureException.classify(inner.describe(), what, e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException | UncheckedIOException e) {
                throw StorageFailureException.classify(inner.describe(), what, e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException | UncheckedIOException e) {
                throw StorageFailureException.classify(inner.describe(), what, e);
            }
        }

        @Override
        public void close() {
            // the driver closes the stream it gave
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        InputStream in;
        try {
            in = inner.open(key);
        } catch (ObjectNotFoundException e) {
            throw e;
        } catch (IOException | UncheckedIOException e) {
            throw classified("read " + key, e);
        }
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (IOException | UncheckedIOException e) {
                    throw classified("read " + key, e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (IOException | UncheckedIOException e) {
                    throw classified("read " + key, e);
                }
            }
        };
    }

    @Override
    public Optional<String> storageClass(String key) throws IOException {
        try {
            return inner.storageClass(key);
        } catch (IOException | UncheckedIOException e) {
            throw classified("look up " + key, e);
        }
    }

    @Override
    public void changeStorageClass(String key, String storageClass) throws IOException {
        try {
            inner.changeStorageClass(key, storageClass);
        } catch (IOException | UncheckedIOException e) {
            throw classified("move " + key + " to " + storageClass, e);
        }
    }

    @Override
    public Retrieval retrieval(String key) throws IOException {
        try {
            return inner.retrieval(key);
        } catch (IOException | UncheckedIOException e) {
            throw classified("look up " + key, e);
        }
    }

    @Override
    public void requestRetrieval(String key, int days, String speed) throws IOException {
        try {
            inner.requestRetrieval(key, days, speed);
        } catch (IOException | UncheckedIOException e) {
            throw classified("request the retrieval of " + key, e);
        }
    }

    @Override
    public boolean exists(String key) throws IOException {
        try {
            return inner.exists(key);
        } catch (IOException | UncheckedIOException e) {
            throw classified("look up " + key, e);
        }
    }

    @Override
    public Optional<java.time.Instant> storedAt(String key) throws IOException {
        try {
            return inner.storedAt(key);
        } catch (IOException | UncheckedIOException e) {
            throw classified("look up " + key, e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        try {
            return inner.list(prefix);
        } catch (IOException | UncheckedIOException e) {
            throw classified("list " + (prefix.isEmpty() ? "the repository" : prefix), e);
        }
    }

    @Override
    public List<StoredObject> listObjects(String prefix) throws IOException {
        try {
            return inner.listObjects(prefix);
        } catch (IOException | UncheckedIOException e) {
            throw classified("list " + (prefix.isEmpty() ? "the repository" : prefix), e);
        }
    }

    @Override
    public void forEachObject(String prefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        try {
            inner.forEachObject(prefix, visitor);
        } catch (IOException | UncheckedIOException e) {
            throw classified("list " + (prefix.isEmpty() ? "the repository" : prefix), e);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            inner.delete(key);
        } catch (IOException | UncheckedIOException e) {
            throw classified("delete " + key, e);
        }
    }

    @Override
    public void deleteAll(List<String> keys) throws IOException {
        try {
            inner.deleteAll(keys);
        } catch (IOException | UncheckedIOException e) {
            throw classified("delete " + keys.size() + " objects" + (keys.isEmpty() ? "" : " from " + keys.get(0)), e);
        }
    }
}
