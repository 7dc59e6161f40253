package dev.walden.agent.pipeline;

/** The file handed over cannot be archived: wrong cluster, bad header, wrong size, unreadable source. */
public final class RejectedFileException extends Exception {
    public RejectedFileException(String message) {
        super(message);
    }
}
