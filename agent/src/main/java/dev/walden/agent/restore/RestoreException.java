package dev.walden.agent.restore;

/** A restore refused or failed; the message says what is wrong and what to do. */
public final class RestoreException extends Exception {
    public RestoreException(String message) {
        super(message);
    }

    public RestoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
