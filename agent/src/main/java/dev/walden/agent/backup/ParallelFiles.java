package dev.walden.agent.backup;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Runs one task per item on a fixed number of threads that pull the next item when done: no queue, so memory is
 * what the items hold and each thread's one buffer. The calling thread reports progress every second and stops
 * everything at the first failure or when {@code cancelled} says so.
 */
public final class ParallelFiles {
    private ParallelFiles() {}

    @FunctionalInterface
    public interface Task<T> {
        void run(T item) throws Exception;
    }

    /** Called on the calling thread about once a second while the tasks run; may throw to stop them. */
    @FunctionalInterface
    public interface Tick {
        void run() throws Exception;
    }

    /**
     * @param stop set when a task fails or the run is cancelled; tasks should check it between files
     * @throws Exception the first task failure, or what {@code tick} threw
     */
    public static <T> void run(String threadName, int threads, List<T> items, Task<T> task, AtomicBoolean stop,
                               BooleanSupplier cancelled, Tick tick) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int count = Math.max(1, Math.min(threads, items.size()));
        CountDownLatch finished = new CountDownLatch(count);
        for (int t = 0; t < count; t++) {
            Thread.ofPlatform().name(threadName + "-" + t).daemon().start(() -> {
                try {
                    int index;
                    while (!stop.get() && (index = next.getAndIncrement()) < items.size()) {
                        task.run(items.get(index));
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                } catch (Error e) {
                    // Out of memory, a bug: rethrown as it is on the calling thread, for the command's one guard.
                    failure.compareAndSet(null, e);
                    stop.set(true);
                } finally {
                    finished.countDown();
                }
            });
        }
        Exception tickFailure = null;
        while (!finished.await(1, TimeUnit.SECONDS)) {
            if (cancelled.getAsBoolean()) {
                stop.set(true);
                failure.compareAndSet(null, new BackupException("cancelled: the client went away"));
            }
            if (tickFailure == null && !stop.get()) {
                try {
                    tick.run();
                } catch (Exception e) {
                    tickFailure = e;
                    stop.set(true);
                }
            }
        }
        if (tickFailure != null) {
            throw tickFailure;
        }
        Throwable failed = failure.get();
        if (failed instanceof Error error) {
            throw error;
        }
        if (failed != null) {
            throw (Exception) failed;
        }
        if (stop.get() && cancelled.getAsBoolean()) {
            throw new BackupException("cancelled: the client went away");
        }
    }
}
