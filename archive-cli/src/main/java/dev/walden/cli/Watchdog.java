package dev.walden.cli;

/**
 * Bounds how long the client waits for the agent. A blocking Unix-socket read has no timeout of its own, and a
 * client that hangs forever stalls PostgreSQL's archiver or recovery, so a daemon thread ends the process instead.
 */
final class Watchdog {
    private final Thread thread;

    private Watchdog(Thread thread) {
        this.thread = thread;
    }

    static Watchdog start(int timeoutSeconds, int exitCode, String message) {
        Thread thread = new Thread(() -> {
            // parkNanos, not Thread.sleep: sleep loads a JFR event class that the start-up cache cannot hold.
            long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
            for (long left = timeoutSeconds * 1_000_000_000L; left > 0; left = deadline - System.nanoTime()) {
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
        thread.start();
        return new Watchdog(thread);
    }

    void cancel() {
        thread.interrupt();
    }
}
