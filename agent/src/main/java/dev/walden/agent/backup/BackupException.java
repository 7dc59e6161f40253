package dev.walden.agent.backup;

/** A backup or restore that cannot go on; the message says what is wrong and what to do. */
public final class BackupException extends Exception {
    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
