package dev.walden.protocol;

/** The end of a command: the exit code the client must return, decided by the agent, and a last message. */
public record Result(int exitCode, String message) {
    public Result {
        if (exitCode < 0 || exitCode > 255) {
            throw new IllegalArgumentException("exit code " + exitCode + " is outside 0..255");
        }
        message = message == null ? "" : message;
    }
}
