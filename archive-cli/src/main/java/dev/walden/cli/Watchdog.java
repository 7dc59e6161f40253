package dev.walden.cli;

/**
 * Bounds how long the client waits for the agent. A blocking Unix-socket read has no timeout of its own, and a
 * client that hangs forever stalls PostgreSQL's archiver or recovery, so a daemon thread ends the process instead.
 */
final class Watchdog {
    private Thread thread;
    private final long timeoutNanos;
    /** Moved forward by {@link #touch}: a long command's timeout measures silence, not its whole duration. */
    private volatile long deadline;

    private Watchdog(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
        this.deadline = System.nanoTime() + timeoutNanos;
    }

    static Watchdog start(int timeoutSeconds, int exitCode, String message) {
        Watchdog watchdog = new Watchdog(timeoutSeconds * 1_000_000_000L);
        Thread thread = new Thread(() -> {
            // parkNanos, not Thread.sleep: sleep loads a JFR event class that the start-up cache cannot hold.
            for (long left = watchdog.timeoutNanos; left > 0; left = watchdog.deadline - System.nanoTime()) {
                java.util.concurrent.locks.LockSupport.parkNanos(left);
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
            System.err.println(message);
            System.err.flush();
            Runtime.getRuntime().halt(exitCode);
        }, "walden-watchdog");
        thread.setDaemon(true);
        watchdog.thread = thread;
        thread.start();
        return watchdog;
    }

    /** The agent said something: the silence starts again. */
    void touch() {
        deadline = System.nanoTime() + timeoutNanos;
    }

    void cancel() {
        thread.interrupt();
    }
}
