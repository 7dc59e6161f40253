package dev.walden.agent.storage.mirror;

import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The {@link Mirror}'s repositories as one {@link Storage}, for one lane and write policy. Writes go to each
 * repository (the object's bytes produced once, kept in a spool file while two or more stores take them); reads go
 * to the first repository in repo-read-order that answers, and to the next when one fails or lacks the object.
 * {@link #copies()} hands the repositories out one by one, so that a reader that finds an object damaged reads the
 * next copy.
 */
final class MirroredStorage implements Storage {
    private static final Logger LOG = Logger.getLogger(MirroredStorage.class.getName());

    private final Mirror mirror;
    private final Mirror.Policy policy;
    private final dev.walden.agent.storage.RateLimit.Lane lane;

    MirroredStorage(Mirror mirror, Mirror.Policy policy, dev.walden.agent.storage.RateLimit.Lane lane) {
        this.mirror = mirror;
        this.policy = policy;
        this.lane = lane;
    }

    private Storage store(Mirror.Member member) {
        return member.lane(lane);
    }

    /** Whether a write through this view may leave {@code member} behind rather than fail. */
    private boolean mayFallBehind(Mirror.Member member) {
        return switch (policy) {
            case EVERY -> false;
            case FIRST -> member.number() != 1;
            case ANY -> true;
        };
    }

    @Override
    public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
        // A repository that is behind gets this write after what it already lacks, unless it must store it now:
        // its order is what keeps a commit record behind the data it commits.
        List<Mirror.Member> direct = new ArrayList<>();
        List<Mirror.Member> queued = new ArrayList<>();
        for (Mirror.Member member : mirror.members) {
            if (mayFallBehind(member) && !mirror.log(member).isEmpty()) {
                queued.add(member);
            } else {
                direct.add(member);
            }
        }
        if (direct.isEmpty()) {
            throw new IOException("every repository is behind and cannot take " + key + " in order; it was not stored."
                    + " HINT: walden status shows what each repository lacks; they catch up when they answer");
        }
        SpooledWriter source = new SpooledWriter(writer, direct.size() > 1);
        List<Object> results = new ArrayList<>();
        try {
            if (direct.size() == 1) {
                results.add(attempt(direct.get(0), key, source));
            } else {
                try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<Object>> futures = new ArrayList<>();
                    for (Mirror.Member member : direct) {
                        futures.add(parallel.submit(() -> attempt(member, key, source)));
                    }
                    for (Future<Object> future : futures) {
                        results.add(future.get());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while storing " + key);
                } catch (ExecutionException e) {
                    throw new IOException("storing " + key + " failed: " + e.getCause().getMessage(), e.getCause());
                }
            }
            source.rethrowOwnFailure();
            boolean stored = false;
            boolean existed = false;
            IOException required = null;
            for (int i = 0; i < direct.size(); i++) {
                Mirror.Member member = direct.get(i);
                Object result = results.get(i);
                if (result instanceof PutOutcome outcome) {
                    stored = true;
                    existed |= outcome == PutOutcome.ALREADY_EXISTS;
                } else if (mayFallBehind(member)) {
                    LOG.warning(member.describe() + " could not store " + key + " (" + ((IOException) result).getMessage()
                            + "); it is queued for when that repository answers");
                    queued.add(member);
                } else if (required == null) {
                    required = (IOException) result;
                }
            }
            if (required != null) {
                throw required;
            }
            if (!stored) {
                throw (IOException) results.get(0);
            }
            for (Mirror.Member member : queued) {
                mirror.log(member).append(true, List.of(key), mirror.clock.instant());
            }
            return existed ? PutOutcome.ALREADY_EXISTS : PutOutcome.CREATED;
        } finally {
            source.discard();
        }
    }

    /** One repository's put: its outcome, or the failure (an IOException) as a value, so that the others go on. */
    private Object attempt(Mirror.Member member, String key, SpooledWriter source) {
        try {
            return store(member).putIfAbsent(key, source::writeTo);
        } catch (IOException e) {
            return e;
        }
    }

    /**
     * The writer's bytes, produced once: streamed straight through when one store takes them, else written to a
     * spool file first and copied to each store from there. A failure of the writer itself (the source file) is the
     * caller's, never a repository's.
     */
    private final class SpooledWriter {
        private final ObjectWriter writer;
        private final boolean spooled;
        private final ReentrantLock lock = new ReentrantLock();
        private Path file;
        private IOException own;

        SpooledWriter(ObjectWriter writer, boolean spooled) {
            this.writer = writer;
            this.spooled = spooled;
        }

        void writeTo(OutputStream out) throws IOException {
            if (!spooled) {
                try {
                    writer.writeTo(out);
                } catch (IOException e) {
                    own = e;
                    throw e;
                }
                return;
            }
            Path bytes = produce();
            Files.copy(bytes, out);
        }

        private Path produce() throws IOException {
            lock.lock();
            try {
                if (own != null) {
                    throw own;
                }
                if (file == null) {
                    Path temp = Files.createTempFile(mirror.spool(), ".mirror-", ".walden-tmp");
                    try (OutputStream out = Files.newOutputStream(temp)) {
                        writer.writeTo(out);
                    } catch (IOException e) {
                        Files.deleteIfExists(temp);
                        own = e;
                        throw e;
                    }
                    file = temp;
                }
                return file;
            } finally {
                lock.unlock();
            }
        }

        void rethrowOwnFailure() throws IOException {
            if (own != null) {
                throw own;
            }
        }

        void discard() throws IOException {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        return firstAnswer(mirror.readOrder, "read " + key, store -> store.open(key));
    }

    @Override
    public boolean exists(String key) throws IOException {
        IOException failure = null;
        for (Mirror.Member member : mirror.readOrder) {
            try {
                if (store(member).exists(key)) {
                    return true;
                }
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        return false;
    }

    @Override
    public Optional<java.time.Instant> storedAt(String key) throws IOException {
        return firstAnswer(mirror.readOrder, "read " + key, store -> store.storedAt(key));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return firstAnswer(mirror.listingOrder(), "list " + prefix, store -> store.list(prefix));
    }

    @Override
    public List<StoredObject> listObjects(String prefix) throws IOException {
        return firstAnswer(mirror.listingOrder(), "list " + prefix, store -> store.listObjects(prefix));
    }

    /** From the first repository in step that answers; falls over only when one fails before it handed anything over. */
    @Override
    public void forEachObject(String prefix, Consumer<StoredObject> visitor) throws IOException {
        IOException failure = null;
        for (Mirror.Member member : mirror.listingOrder()) {
            boolean[] began = {false};
            try {
                store(member).forEachObject(prefix, object -> {
                    began[0] = true;
                    visitor.accept(object);
                });
                return;
            } catch (IOException e) {
                if (began[0]) {
                    throw e;
                }
                LOG.warning(member.describe() + " could not list " + prefix + " (" + e.getMessage() + "); listing the next repository");
                failure = failure == null ? e : failure;
            }
        }
        throw failure;
    }

    @Override
    public void delete(String key) throws IOException {
        deleteAll(List.of(key));
    }

    /** Removed from each repository in step now, and queued for the ones behind, after what they lack. */
    @Override
    public void deleteAll(List<String> keys) throws IOException {
        for (Mirror.Member member : mirror.members) {
            BehindLog log = mirror.log(member);
            if (log.isEmpty()) {
                try {
                    store(member).deleteAll(keys);
                    continue;
                } catch (IOException e) {
                    LOG.warning(member.describe() + " could not remove " + keys.size() + " objects (" + e.getMessage()
                            + "); queued for when it answers");
                }
            }
            log.append(false, keys, mirror.clock.instant());
        }
    }

    @Override
    public Optional<String> storageClass(String key) throws IOException {
        return firstAnswer(mirror.readOrder, "look up " + key, store -> store.storageClass(key));
    }

    /** Storage classes are each repository's own (repoN-storage-class-*): moved there, never through all at once. */
    @Override
    public void changeStorageClass(String key, String storageClass) throws IOException {
        throw new IOException("storage classes are set per repository; cannot move " + key + " in all of them at once");
    }

    /** Readable when the first repository in read order that has it can be read now; else how the first one stands. */
    @Override
    public Retrieval retrieval(String key) throws IOException {
        Retrieval first = null;
        for (Mirror.Member member : mirror.readOrder) {
            try {
                Retrieval state = store(member).retrieval(key);
                if (state == Retrieval.READABLE) {
                    return state;
                }
                first = first == null ? state : first;
            } catch (IOException e) {
                // not there, or not answering: another repository may hold it readable
            }
        }
        if (first == null) {
            return firstAnswer(mirror.readOrder, "look up " + key, store -> store.retrieval(key));
        }
        return first;
    }

    /** Asked of the first repository in read order that holds it archived. */
    @Override
    public void requestRetrieval(String key, int days, String speed) throws IOException {
        for (Mirror.Member member : mirror.readOrder) {
            try {
                if (store(member).retrieval(key) != Retrieval.READABLE) {
                    store(member).requestRetrieval(key, days, speed);
                    return;
                }
            } catch (ObjectNotFoundException e) {
                // the next one may hold it
            }
        }
    }

    @Override
    public List<Storage> copies() {
        return mirror.readOrder.stream().map(this::store).toList();
    }

    @Override
    public String describe() {
        StringBuilder text = new StringBuilder();
        for (Mirror.Member member : mirror.members) {
            text.append(text.isEmpty() ? "" : " + ").append("repo").append(member.number()).append(' ').append(store(member).describe());
        }
        return text.toString();
    }

    /** The repositories are the agent's to close, not a view's. */
    @Override
    public void close() {}

    @FunctionalInterface
    private interface Read<T> {
        T from(Storage store) throws IOException;
    }

    /** The first answer in {@code order}: not-found only when every repository says so, else the first failure. */
    private <T> T firstAnswer(List<Mirror.Member> order, String what, Read<T> read) throws IOException {
        IOException failure = null;
        ObjectNotFoundException missing = null;
        for (Mirror.Member member : order) {
            try {
                T answer = read.from(store(member));
                if (failure != null || missing != null) {
                    LOG.info(what + ": answered by " + member.describe());
                }
                return answer;
            } catch (ObjectNotFoundException e) {
                missing = missing == null ? e : missing;
            } catch (IOException e) {
                LOG.warning(member.describe() + " failed to " + what + " (" + e.getMessage() + "); trying the next repository");
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
        throw missing;
    }
}
