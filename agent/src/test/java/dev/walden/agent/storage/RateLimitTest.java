package dev.walden.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The rate limit on a fake clock: waiting advances time instead of passing it. */
class RateLimitTest {
    static final long MIB = 1 << 20;

    /** Time moves only when someone waits, to the end of the longest wait asked for so far. */
    static final class FakeTicker implements RateLimit.Ticker {
        final AtomicLong now = new AtomicLong();

        @Override
        public long nanos() {
            return now.get();
        }

        @Override
        public void await(Object monitor, long nanos) throws InterruptedException {
            long until = now.get() + nanos;
            now.accumulateAndGet(until, Math::max);
            monitor.wait(0, 100_000);  // lets the other lane's thread run; fake time has already moved
        }
    }

    @Test
    void aMinuteOfTransfersAveragesTheLimit() throws IOException {
        FakeTicker ticker = new FakeTicker();
        RateLimit limit = new RateLimit(4 * MIB, ticker);
        long moved = 0;
        while (moved < 240 * MIB) {
            limit.take(RateLimitedStorage.STEP, RateLimit.Lane.BULK);
            moved += RateLimitedStorage.STEP;
        }
        double seconds = ticker.nanos() / 1e9;
        // 240 MiB at 4 MiB/s is 60 s; the first quarter second's credit and the last step's debt are all it may differ by.
        assertEquals(60.0, seconds, 0.5, "took " + seconds + " s");
    }

    @Test
    void walGoesFirstWhileABackupSharesTheLimit() throws Exception {
        FakeTicker ticker = new FakeTicker();
        RateLimit limit = new RateLimit(MIB, ticker);
        AtomicLong walDoneAt = new AtomicLong();
        AtomicLong bulkDoneAt = new AtomicLong();
        Thread bulk = Thread.ofPlatform().start(() -> move(limit, RateLimit.Lane.BULK, 24 * MIB, ticker, bulkDoneAt));
        Thread wal = Thread.ofPlatform().start(() -> move(limit, RateLimit.Lane.WAL, 16 * MIB, ticker, walDoneAt));
        wal.join(60_000);
        bulk.join(60_000);
        double walSeconds = walDoneAt.get() / 1e9;
        double bulkSeconds = bulkDoneAt.get() / 1e9;
        // Both together cannot beat the limit: 40 MiB at 1 MiB/s.
        assertTrue(bulkSeconds >= 39.5, "the backup finished at " + bulkSeconds + " s");
        // The WAL's 16 MiB take what the limit gives, less at most what the backup took before the WAL began.
        assertTrue(walSeconds <= 16 + 2, "WAL finished at " + walSeconds + " s, behind the backup");
    }

    @Test
    void aHistoryFileGoesBeforeSegmentsAndBackups() throws Exception {
        FakeTicker ticker = new FakeTicker();
        RateLimit limit = new RateLimit(MIB, ticker);
        AtomicLong walDoneAt = new AtomicLong();
        AtomicLong bulkDoneAt = new AtomicLong();
        AtomicLong historyDoneAt = new AtomicLong();
        Thread bulk = Thread.ofPlatform().start(() -> move(limit, RateLimit.Lane.BULK, 16 * MIB, ticker, bulkDoneAt));
        Thread wal = Thread.ofPlatform().start(() -> move(limit, RateLimit.Lane.WAL, 16 * MIB, ticker, walDoneAt));
        Thread.sleep(5);
        AtomicLong historyStartedAt = new AtomicLong();
        Thread history = Thread.ofPlatform().start(() -> {
            historyStartedAt.set(ticker.nanos());
            move(limit, RateLimit.Lane.HISTORY, 2 * RateLimitedStorage.STEP, ticker, historyDoneAt);
        });
        history.join(60_000);
        wal.join(60_000);
        bulk.join(60_000);
        double waited = (historyDoneAt.get() - historyStartedAt.get()) / 1e9;
        // Its 128 KiB at 1 MiB/s, plus at most the debt of the step taken before it arrived.
        assertTrue(historyDoneAt.get() < walDoneAt.get(), "the history file came while segments were still moving");
        assertTrue(waited <= 0.5, "the history file took " + waited + " s beside 32 MiB of segments and backup");
        assertTrue(walDoneAt.get() < bulkDoneAt.get(), "segments before the backup");
    }

    private static void move(RateLimit limit, RateLimit.Lane lane, long bytes, FakeTicker ticker, AtomicLong doneAt) {
        try {
            for (long moved = 0; moved < bytes; moved += RateLimitedStorage.STEP) {
                limit.take(RateLimitedStorage.STEP, lane);
            }
            doneAt.set(ticker.nanos());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aViewWithoutLimitsIsTheStoreItselfAndReadsAreCounted() throws IOException {
        Storage store = new Storage() {
            @Override
            public PutOutcome putIfAbsent(String key, ObjectWriter writer) {
                return PutOutcome.CREATED;
            }

            @Override
            public InputStream open(String key) {
                return new ByteArrayInputStream(new byte[(int) (3 * MIB)]);
            }

            @Override
            public boolean exists(String key) {
                return true;
            }

            @Override
            public java.util.List<StoredObject> listObjects(String prefix) {
                return java.util.List.of();
            }

            @Override
            public void delete(String key) {}

            @Override
            public String describe() {
                return "test";
            }
        };
        assertTrue(RateLimits.none().share().view(store, RateLimit.Lane.WAL) == store, "no limit, no wrapper on the push path");
        FakeTicker ticker = new FakeTicker();
        RateLimit download = new RateLimit(MIB, ticker);
        Storage limited = new RateLimitedStorage(store, java.util.Optional.empty(), java.util.Optional.of(download), RateLimit.Lane.BULK);
        try (InputStream in = limited.open("k")) {
            assertEquals(3 * MIB, in.transferTo(java.io.OutputStream.nullOutputStream()));
        }
        assertEquals(3.0, ticker.nanos() / 1e9, 0.4, "3 MiB read at 1 MiB/s");
    }
}
