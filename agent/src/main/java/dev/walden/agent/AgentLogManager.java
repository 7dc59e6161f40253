package dev.walden.agent;

import java.util.logging.LogManager;

/**
 * java.util.logging's own shutdown hook resets the log manager, removing every handler, while the agent's shutdown hook
 * is still stopping it: the lines that say what happened to requests in flight were lost. This manager ignores that
 * reset; the agent's hook calls {@link #resetAfterStop()} once everything is stopped and logged.
 */
public final class AgentLogManager extends LogManager {
    private volatile boolean stopped;

    /** The launcher (bin/walden-agent) names this class with -Djava.util.logging.manager; for other runs this tries the same, which works only when nothing touched java.util.logging yet. */
    static void installFirst() {
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", AgentLogManager.class.getName());
        }
    }

    @Override
    public void reset() {
        if (stopped) {
            super.reset();
        }
    }

    /** Flushes and closes the handlers, once the agent has stopped. */
    static void resetAfterStop() {
        if (LogManager.getLogManager() instanceof AgentLogManager manager) {
            manager.stopped = true;
            manager.reset();
        }
    }
}
