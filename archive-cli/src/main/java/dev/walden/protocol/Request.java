package dev.walden.protocol;

/** A request from the client to the agent. One request, one reply. */
public sealed interface Request permits Request.Push, Request.Fetch, Request.Ping {

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
}
