package dev.walden.agent.storage;

import java.io.InterruptedIOException;

/**
 * A byte rate shared by everything that moves data to (or from) one repository in one direction: WAL, backups and
 * dumps. Callers take bytes before they move them. WAL goes first: while a WAL transfer waits for its turn, backups
 * and dumps wait behind it, so a rate-limited backup never starves archiving, and the limit still holds for the sum.
 * Timeline history files go before all: a promotion's history file is what a standby or a restore needs first.
 *
 * <p>A token bucket that may run into debt: a caller whose turn it is takes what it needs even beyond what is there,
 * and the next waits until the debt is paid back at the rate. Idle time builds up at most a quarter second of credit,
 * so bursts stay short and a minute's average stays at the limit.
 */
public final class RateLimit {
    /** Who is waiting, first first: timeline history files, the rest of archiving's WAL, everything else. */
    public enum Lane { HISTORY, WAL, BULK }

    /** How the limit tells time and waits: the real clock, or a test's. */
    interface Ticker {
        long nanos();

        /** Waits on {@code monitor} (held) for up to {@code nanos}, or until notified. */
        void await(Object monitor, long nanos) throws InterruptedException;
    }

    private static final Ticker SYSTEM = new Ticker() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public void await(Object monitor, long nanos) throws InterruptedException {
            long millis = Math.max(1, nanos / 1_000_000);
            monitor.wait(millis);
        }
    };

    private final long bytesPerSecond;
    private final long maxCredit;
    private final Ticker ticker;
    private long available;
    private long refilledAt;
    /** How many transfers wait in each lane. */
    private final int[] waiting = new int[Lane.values().length];

    public RateLimit(long bytesPerSecond) {
        this(bytesPerSecond, SYSTEM);
    }

    RateLimit(long bytesPerSecond, Ticker ticker) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("rate " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.maxCredit = Math.max(64 << 10, bytesPerSecond / 4);
        this.ticker = ticker;
        this.refilledAt = ticker.nanos();
    }

    /** Waits until {@code bytes} may move in {@code lane}. */
    public synchronized void take(long bytes, Lane lane) throws InterruptedIOException {
        waiting[lane.ordinal()]++;
        try {
            while (true) {
                refill();
                if (available >= 0 && noneWaitingBefore(lane)) {
                    available -= bytes;
                    return;
                }
                // In debt: until it is paid back. Behind a lane before this one: until its transfer has taken its bytes (it notifies).
                long owed = Math.max(1, -available);
                ticker.await(this, Math.max(1_000_000, owed * 1_000_000_000L / bytesPerSecond));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the repository's rate limit");
        } finally {
            waiting[lane.ordinal()]--;
            notifyAll();
        }
    }

    private boolean noneWaitingBefore(Lane lane) {
        for (int i = 0; i < lane.ordinal(); i++) {
            if (waiting[i] > 0) {
                return false;
            }
        }
        return true;
    }

    private void refill() {
        long now = ticker.nanos();
        long elapsed = now - refilledAt;
        if (elapsed <= 0) {
            return;
        }
        long earned = (long) (elapsed / 1e9 * bytesPerSecond);
        if (earned <= 0) {
            return;
        }
        if (available + earned >= maxCredit) {
            available = maxCredit;
            refilledAt = now;
        } else {
            available += earned;
            refilledAt += (long) (earned * 1e9 / bytesPerSecond);  // keeps the fraction of a byte for the next refill
        }
    }
}
