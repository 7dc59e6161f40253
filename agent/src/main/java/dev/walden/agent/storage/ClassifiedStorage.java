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

    /** One call of the store, which may fail. */
    @FunctionalInterface
    private interface StoreCall<T> {
        T call() throws IOException;
    }

    /** Runs one call of the store; its failure leaves classified, as {@code what} was being done. */
    private <T> T classify(String what, StoreCall<T> call) throws IOException {
        try {
            return call.call();
        } catch (IOException | UncheckedIOException e) {
            throw classified(what, e);
        }
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
        return classify("look up " + key, () -> inner.storageClass(key));
    }

    @Override
    public void changeStorageClass(String key, String storageClass) throws IOException {
        classify("move " + key + " to " + storageClass, () -> {
            inner.changeStorageClass(key, storageClass);
            return null;
        });
    }

    @Override
    public Retrieval retrieval(String key) throws IOException {
        return classify("look up " + key, () -> inner.retrieval(key));
    }

    @Override
    public void requestRetrieval(String key, int days, String speed) throws IOException {
        classify("request the retrieval of " + key, () -> {
            inner.requestRetrieval(key, days, speed);
            return null;
        });
    }

    @Override
    public boolean exists(String key) throws IOException {
        return classify("look up " + key, () -> inner.exists(key));
    }

    @Override
    public Optional<java.time.Instant> storedAt(String key) throws IOException {
        return classify("look up " + key, () -> inner.storedAt(key));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return classify("list " + (prefix.isEmpty() ? "the repository" : prefix), () -> inner.list(prefix));
    }

    @Override
    public List<StoredObject> listObjects(String prefix) throws IOException {
        return classify("list " + (prefix.isEmpty() ? "the repository" : prefix), () -> inner.listObjects(prefix));
    }

    @Override
    public void forEachObject(String prefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        classify("list " + (prefix.isEmpty() ? "the repository" : prefix), () -> {
            inner.forEachObject(prefix, visitor);
            return null;
        });
    }

    @Override
    public void delete(String key) throws IOException {
        classify("delete " + key, () -> {
            inner.delete(key);
            return null;
        });
    }

    @Override
    public void deleteAll(List<String> keys) throws IOException {
        classify("delete " + keys.size() + " objects" + (keys.isEmpty() ? "" : " from " + keys.get(0)), () -> {
            inner.deleteAll(keys);
            return null;
        });
    }
}
