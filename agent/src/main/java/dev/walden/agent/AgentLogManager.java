package dev.walden.agent;

import java.util.logging.LogManager;

/**
 * java.util.logging's own shutdown hook resets the log manager, removing every handler, while the agent's shutdown hook
 * is still stopping it: the lines that say what happened to requests in flight were lost. This manager ignores that
 * reset; the agent's hook calls {@link #resetAfterStop()} once everything is stopped and logged. It must be named at
 * JVM start ({@code -Djava.util.logging.manager}, as bin/walden-agent does): the JDK creates the log manager before main.
 */
public final class AgentLogManager extends LogManager {
    private volatile boolean stopped;

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
