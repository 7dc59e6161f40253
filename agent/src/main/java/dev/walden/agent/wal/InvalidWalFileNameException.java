package dev.walden.agent.wal;

/** A name that is not one PostgreSQL archives. */
public final class InvalidWalFileNameException extends IllegalArgumentException {
    public InvalidWalFileNameException(String message) {
        super(message);
    }
}
