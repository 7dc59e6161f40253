package dev.walden.agent.repository;

/** The repository record is damaged or from a format this agent cannot read. */
public final class RepositoryFormatException extends Exception {
    public RepositoryFormatException(String message) {
        super(message);
    }
}
