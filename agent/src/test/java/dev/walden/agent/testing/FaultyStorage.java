package dev.walden.agent.testing;

import dev.walden.agent.storage.Storage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real storage with failures injected by operation and key, from the Nth matching call on: what a full disk, an
 * unreadable directory, a read-only mount, an outage or a damaged object makes the driver throw or return, so that a
 * real agent can be driven through them. Faults are set and cleared while it runs.
 */
public final class FaultyStorage extends ForwardingStorage {
    /** An operation of the storage contract ({@code exists} and {@code storedAt} count as {@link #OPEN}). */
    public enum Operation { PUT, OPEN, LIST, DELETE }

    /** What goes wrong: each as the driver meets it, before the agent classifies it. */
    public enum Failure {
        /** The agent's user may not read or write there. */
        PERMISSION_DENIED,
        /** No space left on the device. */
        OUT_OF_SPACE,
        /** A read-only file system. */
        READ_ONLY,
        /** An I/O error or a dropped connection: the store did not answer. */
        UNAVAILABLE,
        /** The object opens, but one of its bytes is not what was stored. */
        CORRUPT,
        /** The call never returns until the fault is cleared: a store that hangs. */
        HANG,
        /** A bug below the agent's commands: an unchecked exception no one expected. */
        BUG;

        Throwable raise(Operation operation, String key) {
            String path = "/srv/walden/repo/" + key;
            IOException e = switch (this) {
                case PERMISSION_DENIED -> new AccessDeniedException(path);
                case OUT_OF_SPACE -> new FileSystemException(path, null, "No space left on device");
                case READ_ONLY -> new FileSystemException(path, null, "Read-only file system");
                case UNAVAILABLE, CORRUPT, HANG -> new IOException("Input/output error");
                case BUG -> throw new IllegalStateException("a bug in a storage driver");
            };
            // A directory walk reports its failures unchecked, as Files.walk does.
            return operation == Operation.LIST ? new UncheckedIOException(e) : e;
        }
    }

    /** Fails calls of {@code operation} on keys (or list prefixes) containing {@code fragment}, from the nth on. */
    public record Fault(Operation operation, String fragment, int nth, Failure failure, IOException thrown, AtomicInteger calls) {
        public Fault(Operation operation, String fragment, int nth, Failure failure) {
            this(operation, fragment, nth, failure, null, new AtomicInteger());
        }

        /** Throws exactly {@code thrown} on every matching call. */
        public Fault(Operation operation, String fragment, IOException thrown) {
            this(operation, fragment, 1, null, thrown, new AtomicInteger());
        }
    }

    private final AtomicReference<List<Fault>> faults = new AtomicReference<>(List.of());

    public FaultyStorage(Storage inner) {
        super(inner);
    }

    public void inject(Fault... fault) {
        faults.set(List.of(fault));
    }

    public void clear() {
        faults.set(List.of());
    }

    /** How many calls the current faults have failed. */
    public int failed() {
        return faults.get().stream().mapToInt(f -> Math.max(0, f.calls().get() - f.nth() + 1)).sum();
    }

    /** The fault for this call, if it is one to fail; a CORRUPT fault on open is returned for the caller to apply. */
    private Fault check(Operation operation, String key) throws IOException {
        for (Fault fault : faults.get()) {
            if (fault.operation() == operation && key.contains(fault.fragment()) && fault.calls().incrementAndGet() >= fault.nth()) {
                if (fault.thrown() != null) {
                    throw fault.thrown();
                }
                if (fault.failure() == Failure.CORRUPT) {
                    return fault;
                }
                if (fault.failure() == Failure.HANG) {
                    while (faults.get().contains(fault)) {
                        java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
                    }
                    return null;
                }
                Throwable t = fault.failure().raise(operation, key);
                if (t instanceof IOException io) {
                    throw io;
                }
                throw (RuntimeException) t;
            }
        }
        return null;
    }

    @Override
    public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
        check(Operation.PUT, key);
        return inner.putIfAbsent(key, writer);
    }

    @Override
    public InputStream open(String key) throws IOException {
        Fault corrupt = check(Operation.OPEN, key);
        InputStream in = inner.open(key);
        return corrupt == null ? in : new Damaged(in);
    }

    /** Flips one bit of the 100th byte (or of the last, in a shorter object), as bit rot or tampering would. */
    private static final class Damaged extends FilterInputStream {
        private long position;

        Damaged(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int read = in.read(b, off, len);
            if (read > 0 && position <= 99 && position + read > 99) {
                b[off + (int) (99 - position)] ^= 0x10;
            }
            if (read > 0) {
                position += read;
            }
            return read;
        }
    }

    @Override
    public boolean exists(String key) throws IOException {
        check(Operation.OPEN, key);
        return inner.exists(key);
    }

    @Override
    public List<StoredObject> listObjects(String prefix) throws IOException {
        check(Operation.LIST, prefix);
        return inner.listObjects(prefix);
    }

    @Override
    public void forEachObject(String prefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        check(Operation.LIST, prefix);
        inner.forEachObject(prefix, visitor);
    }

    @Override
    public void delete(String key) throws IOException {
        check(Operation.DELETE, key);
        inner.delete(key);
    }
}
