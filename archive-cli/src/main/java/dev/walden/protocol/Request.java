package dev.walden.protocol;

/** A request from the client to the agent. One request, one reply. */
public sealed interface Request permits Request.Push, Request.Fetch, Request.Ping, Request.Command {

    /**
     * Archive the file PostgreSQL handed over.
     *
     * @param fileName the name PostgreSQL passes as {@code %f}, e.g. {@code 000000010000000000000001}
     * @param sourcePath absolute path of {@code %p}, resolved against the client's working directory
     */
    record Push(String fileName, String sourcePath) implements Request {}

    /**
     * Restore an archived file.
     *
     * @param fileName the name PostgreSQL asks for as {@code %f}
     * @param destinationPath absolute path of {@code %p}, where the file must appear atomically
     */
    record Fetch(String fileName, String destinationPath) implements Request {}

    /** Liveness check; the agent answers {@link Status#OK} with its version. */
    record Ping() implements Request {}

    /**
     * A DBA's command ({@code backup}, {@code restore}, ...), run by the agent, which streams {@link Output} frames
     * and ends with one {@link Result}. The agent parses the arguments and decides the exit code.
     *
     * @param arguments the command line after the client's own options, e.g. {@code backup --type incr}
     * @param workingDirectory the client's working directory, against which relative paths in arguments resolve
     * @param clientPath how PostgreSQL should run this client (written into {@code restore_command})
     * @param progress whether the client shows progress lines (its standard output is a terminal)
     * @param zone the client's time zone ({@code TZ}, else the system's), in which times without one are read; empty
     *             when the client did not send one (then the agent's zone)
     */
    record Command(java.util.List<String> arguments, String workingDirectory, String clientPath, boolean progress, String zone)
            implements Request {
        public Command {
            arguments = java.util.List.copyOf(arguments);
        }

        public Command(java.util.List<String> arguments, String workingDirectory, String clientPath, boolean progress) {
            this(arguments, workingDirectory, clientPath, progress, "");
        }
    }
}
