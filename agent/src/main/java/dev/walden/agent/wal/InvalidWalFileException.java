package dev.walden.agent.wal;

/** A file whose contents are not what its name promises: bad header, wrong size, wrong segment. */
public final class InvalidWalFileException extends Exception {
    public InvalidWalFileException(String message) {
        super(message);
    }
}
