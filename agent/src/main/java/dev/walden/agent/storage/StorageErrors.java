package dev.walden.agent.storage;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A tally of the storage failures since the agent started, by kind, and the last one: what metrics
 * ({@code walden_storage_errors_total{kind}}) and {@code walden status} show. Thread-safe; a few words of memory.
 */
public final class StorageErrors {
    /** The last failure: when, what kind, and the one line a DBA was told. */
    public record Last(Instant at, StorageFailureException.Kind kind, String message) {}

    private final AtomicLongArray counts = new AtomicLongArray(StorageFailureException.Kind.values().length);
    private final Clock clock;
    private volatile Last last;

    public StorageErrors(Clock clock) {
        this.clock = clock;
    }

    public void record(StorageFailureException failure) {
        counts.incrementAndGet(failure.kind().ordinal());
        last = new Last(clock.instant(), failure.kind(), failure.getMessage());
    }

    public long count(StorageFailureException.Kind kind) {
        return counts.get(kind.ordinal());
    }

    public long total() {
        long total = 0;
        for (int i = 0; i < counts.length(); i++) {
            total += counts.get(i);
        }
        return total;
    }

    public Optional<Last> last() {
        return Optional.ofNullable(last);
    }
}
