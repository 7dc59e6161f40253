package dev.walden.agent.backup;

import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Work handed out in order by one thread, done by a fixed number of threads, and whose results come back to the
 * handing thread in the order it was handed out: what lets a backup list a data directory, copy its files in
 * parallel and write its manifest in path order, holding only a window of work in flight, never the directory.
 * The handing thread reports progress about once a second while it waits, and the first failure stops everything.
 *
 * @param <R> what one piece of work yields to the handing thread
 */
final class OrderedWork<R> implements AutoCloseable {
    /** Receives the results on the handing thread, in order. */
    @FunctionalInterface
    interface Results<R> {
        void accept(R result) throws Exception;
    }

    private final ExecutorService threads;
    private final ArrayDeque<Future<R>> inFlight = new ArrayDeque<>();
    private final int window;
    private final Results<R> results;
    private final AtomicBoolean stop;
    private final BooleanSupplier cancelled;
    private final ParallelFiles.Tick tick;
    private long lastTick = System.nanoTime();

    /**
     * @param window most pieces handed out and not yet taken back: what bounds memory
     * @param stop   set at the first failure or cancellation; work should check it between files
     */
    OrderedWork(String threadName, int threadCount, int window, Results<R> results, AtomicBoolean stop, BooleanSupplier cancelled,
                ParallelFiles.Tick tick) {
        AtomicInteger number = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(Math.max(1, threadCount),
                r -> Thread.ofPlatform().name(threadName + "-" + number.getAndIncrement()).daemon().unstarted(r));
        this.window = Math.max(1, window);
        this.results = results;
        this.stop = stop;
        this.cancelled = cancelled;
        this.tick = tick;
    }

    /** Hands out one piece of work; first takes back the oldest while the window is full. */
    void submit(Callable<R> work) throws Exception {
        while (inFlight.size() >= window) {
            takeOldest();
        }
        if (stop.get()) {
            throw new BackupException("stopped");
        }
        inFlight.add(threads.submit(work));
    }

    /** Takes back everything handed out. */
    void finish() throws Exception {
        while (!inFlight.isEmpty()) {
            takeOldest();
        }
    }

    private void takeOldest() throws Exception {
        Future<R> oldest = inFlight.peek();
        while (true) {
            if (cancelled.getAsBoolean()) {
                stop.set(true);
                throw new BackupException("cancelled: the client went away");
            }
            if (System.nanoTime() - lastTick >= 1_000_000_000L) {
                lastTick = System.nanoTime();
                try {
                    tick.run();
                } catch (Exception e) {
                    stop.set(true);
                    throw e;
                }
            }
            try {
                R result = oldest.get(200, TimeUnit.MILLISECONDS);
                inFlight.poll();
                results.accept(result);
                return;
            } catch (TimeoutException notYet) {
                // report progress and check for cancellation, then wait again
            } catch (ExecutionException e) {
                stop.set(true);
                Throwable cause = e.getCause();
                if (cause instanceof Error error) {
                    throw error;  // out of memory, a bug: to the command's one guard as it is
                }
                throw cause instanceof Exception exception ? exception : new IllegalStateException(cause);
            } catch (InterruptedException e) {
                stop.set(true);
                Thread.currentThread().interrupt();
                throw new BackupException("interrupted");
            }
        }
    }

    @Override
    public void close() {
        if (!inFlight.isEmpty()) {
            stop.set(true);  // left by a failure: what is still copying stops at its next file
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(30, TimeUnit.SECONDS);  // none writes after the command has answered
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
