package dev.walden.protocol;

/** The agent's answer: a status and a one-line, human-readable message. */
public record Reply(Status status, String message) {
    public Reply {
        if (status == null) {
            throw new IllegalArgumentException("status is required");
        }
        message = message == null ? "" : message;
    }

    public static Reply ok(String message) {
        return new Reply(Status.OK, message);
    }
}
