package dev.walden.cli;

import dev.walden.protocol.Status;

/**
 * Exit codes as PostgreSQL reads them. The mapping is the contract with PostgreSQL, documented in docs/protocol.md.
 *
 * <p>{@code archive_command}: 0 means the file is durably archived; any other code below 126 makes PostgreSQL keep
 * the file and retry. Codes above 125 would make the archiver process exit, so push never uses them.
 *
 * <p>{@code restore_command}: 0 means the file was written; a non-zero code below 126 means "not in the archive",
 * which can end recovery early; a code above 125 makes recovery stop with a FATAL error. So fetch returns 1 only
 * when the repository certainly lacks the file, and {@link #ABORT_RECOVERY} whenever it cannot tell.
 */
public final class ExitCode {
    public static final int OK = 0;
    /** push: not archived, PostgreSQL retries. fetch: certainly not in the repository. */
    public static final int FAILED = 1;
    /** Bad command line on push (PostgreSQL retries and logs it). */
    public static final int USAGE = 2;
    /**
     * push and long commands: an unexpected failure inside the agent (a bug, logged there with its details). Below 126,
     * so PostgreSQL retries a push; monitoring plugins read 3 as "unknown". fetch uses {@link #ABORT_RECOVERY} instead.
     */
    public static final int INTERNAL = 3;
    /** fetch could not tell whether the file exists, or could not read it intact: recovery must stop. */
    public static final int ABORT_RECOVERY = 126;

    private ExitCode() {}

    /**
     * The exit code of a long command whose agent cannot be reached or falls silent: 2 for {@code verify} (whose 1
     * means "problems found" and 2 "could not check") and {@code status} (2 is critical: an agent that does not answer
     * archives nothing), so that a monitoring check never mistakes one for the other; 1 for every other command.
     */
    static int whenAgentUnreachable(String command) {
        return command.equals("verify") || command.equals("status") ? USAGE : FAILED;
    }

    static int forPush(Status status) {
        return status == Status.OK ? OK : status == Status.INTERNAL ? INTERNAL : FAILED;
    }

    static int forFetch(Status status) {
        return switch (status) {
            case OK -> OK;
            case NOT_FOUND -> FAILED;
            default -> ABORT_RECOVERY;
        };
    }
}
