package dev.walden.agent.command;

/** Exit codes of the DBA's commands, decided here and returned by the client as they are (docs/protocol.md). */
public final class CommandExit {
    static final int OK = 0;
    /** The command ran and failed: the backup is not complete, the restore did not finish. */
    public static final int FAILED = 1;
    /** The command line is wrong. */
    static final int USAGE = 2;
    /**
     * An unexpected failure inside the agent (a bug): its own code, so that a script or a monitoring check tells it from
     * a failure it can act on; 3 is also what monitoring plugins read as "unknown".
     */
    public static final int INTERNAL = 3;

    /**
     * The exit code of a command the agent had to stop (it stalled, or the agent is stopping): 2 for {@code verify}
     * and {@code status}, whose 2 means "could not check", 1 for every other command.
     */
    public static int stopped(String command) {
        return command.equals("verify") || command.equals("status") ? USAGE : FAILED;
    }

    private CommandExit() {}
}
