package dev.walden.agent.postgres;

/** The cluster cannot be used for what was asked: the message says what is wrong and what to fix. */
public final class PostgresException extends Exception {
    public PostgresException(String message) {
        super(message);
    }

    public PostgresException(String message, Throwable cause) {
        super(message, cause);
    }
}
