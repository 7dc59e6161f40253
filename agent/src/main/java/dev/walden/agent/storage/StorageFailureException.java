package dev.walden.agent.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.util.Locale;

/**
 * A storage operation failed, classified so that every command says the same true thing about it: which repository,
 * which key or path, what is wrong and what to do. Not found ({@link ObjectNotFoundException}) and a conflict
 * ({@link Storage.PutOutcome#ALREADY_EXISTS}) are answers, not failures; every other failure is one of these kinds.
 */
public final class StorageFailureException extends IOException {
    /** What kind of failure, for the message and for whether trying again can help. */
    public enum Kind {
        /** The store did not answer, or answered something that is not an answer: trying again may help. */
        UNAVAILABLE,
        /** The agent's user may not read or write there. */
        PERMISSION_DENIED,
        /** No space left on the device or quota exceeded. */
        OUT_OF_SPACE,
        /** A read-only file system (often systemd's ProtectSystem=). */
        READ_ONLY,
        /** The object is there, but its bytes are not what was stored: truncated, altered, or sealed with another key. */
        CORRUPT;

        /** The label in metrics ({@code kind="out_of_space"}) and in status. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Kind kind;

    public StorageFailureException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * Classifies a failure of the storage layer that its driver did not: a file-system error, an unchecked one from a
     * directory walk, or an I/O error while reading or writing an object's bytes. Already classified ones pass.
     *
     * @param repository the repository's description, e.g. {@code local:/var/lib/walden/repo}
     * @param what       what the agent was doing, e.g. "list 7/wal/"
     */
    public static IOException classify(String repository, String what, Throwable failure) {
        Throwable e = failure instanceof UncheckedIOException unchecked ? unchecked.getCause() : failure;
        if (e instanceof ObjectNotFoundException || e instanceof StorageFailureException || e instanceof ArchivedObjectException) {
            return (IOException) e;
        }
        String user = System.getProperty("user.name");
        String reason = e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : String.valueOf(e.getMessage());
        String path = e instanceof FileSystemException fs && fs.getFile() != null ? fs.getFile() : "";
        String lower = reason.toLowerCase(Locale.ROOT);
        if (e instanceof AccessDeniedException || lower.contains("permission denied")) {
            return new StorageFailureException(Kind.PERMISSION_DENIED, "repository " + repository + ": cannot " + what + ": the agent's"
                    + " user (" + user + ") may not read or write " + path + ". HINT: chown -R " + user + " the repository (or"
                    + " chmod u+rwX " + path + "); nothing was changed", e);
        }
        if (lower.contains("no space left") || lower.contains("quota exceeded")) {
            return new StorageFailureException(Kind.OUT_OF_SPACE, "repository " + repository + ": cannot " + what + ": the file"
                    + " system is full" + (path.isEmpty() ? "" : " (" + path + ")") + "; nothing was acknowledged. HINT: free space"
                    + " (walden expire with a retention policy), or move repo-path to a larger disk", e);
        }
        if (lower.contains("read-only file system")) {
            return new StorageFailureException(Kind.READ_ONLY, "repository " + repository + ": cannot " + what + ": " + path
                    + " is on a read-only file system. HINT: under systemd, ProtectSystem= makes it so: add the directory"
                    + " with ReadWritePaths= (systemctl edit walden-agent)", e);
        }
        return new StorageFailureException(Kind.UNAVAILABLE, "repository " + repository + ": cannot " + what + ": "
                + (path.isEmpty() ? "" : path + ": ") + reason + "; nothing was acknowledged. HINT: check that the repository's"
                + " disk or network share is mounted and answering; the agent tries again on the next request", e);
    }
}
