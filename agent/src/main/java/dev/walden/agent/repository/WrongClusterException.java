package dev.walden.agent.repository;

/** A file from a different PostgreSQL cluster than the one the repository archives. */
public final class WrongClusterException extends Exception {
    public WrongClusterException(String message) {
        super(message);
    }
}
