package dev.walden.agent.pipeline;

/** An archived object exists but cannot be read back intact. Nothing is written to the destination. */
public final class CorruptObjectException extends Exception {
    public CorruptObjectException(String message) {
        super(message);
    }
}
