package dev.walden.agent.command;

/** Exit codes of the DBA's commands, decided here and returned by the client as they are (docs/protocol.md). */
final class CommandExit {
    static final int OK = 0;
    /** The command ran and failed: the backup is not complete, the restore did not finish. */
    static final int FAILED = 1;
    /** The command line is wrong. */
    static final int USAGE = 2;

    private CommandExit() {}
}
