package dev.walden.agent.server;

import dev.walden.protocol.Result;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The commands running now, each with its client's connection: so that an agent told to stop answers each of them
 * (what was interrupted, and what that means) instead of closing the connection without a word, and logs it.
 */
final class RunningCommands {
    private static final Logger LOG = Logger.getLogger(RunningCommands.class.getName());
    private final Map<ChannelCommandOutput, String> running = new ConcurrentHashMap<>();

    void started(ChannelCommandOutput output, String commandLine) {
        running.put(output, commandLine);
    }

    void ended(ChannelCommandOutput output) {
        running.remove(output);
    }

    /** Tells every running command's client that the agent stops, and logs each; their own results, later, are dropped. */
    void agentStopping() {
        running.forEach((output, commandLine) -> {
            String message = "the agent is stopping (systemctl stop, or a signal): 'walden " + commandLine + "' was interrupted."
                    + (commandLine.startsWith("backup") && !commandLine.matches("backup (list|show|keep|release).*")
                    ? " The backup is incomplete: it is never offered for restore, and the next backup removes it."
                    : commandLine.startsWith("restore") ? " The restored directory has no pg_control and cannot start; run the"
                    + " restore again (--force) once the agent is back." : "")
                    + " HINT: run it again once walden-agent is running";
            LOG.warning(message);
            output.finish(new Result(1, message));
        });
        running.clear();
    }
}
