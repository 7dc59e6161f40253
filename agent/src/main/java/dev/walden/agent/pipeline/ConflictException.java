package dev.walden.agent.pipeline;

/** A different file is already archived under the same name. The archived copy is kept. */
public final class ConflictException extends Exception {
    public ConflictException(String message) {
        super(message);
    }
}
