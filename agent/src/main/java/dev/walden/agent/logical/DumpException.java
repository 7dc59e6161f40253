package dev.walden.agent.logical;

/** A dump, a fetch or a restore of one that failed or was refused, with what to do. */
public final class DumpException extends Exception {
    public DumpException(String message) {
        super(message);
    }
}
