package dev.walden.agent.command;

import dev.walden.protocol.Reply;
import dev.walden.protocol.Status;
import java.util.logging.Logger;

/** Turns a failure into a reply and its one log line. */
public final class Replies {
    private Replies() {}

    static Reply failure(Logger log, Status status, String message) {
        log.warning(message);
        return new Reply(status, message);
    }

    /** What failed, in a DBA's words: file system errors name the path and what is wrong with it, never a Java type. */
    static String describe(Throwable e) {
        String message = e.getMessage();
        String user = System.getProperty("user.name");
        if (e instanceof java.nio.file.AccessDeniedException denied) {
            return "the agent's user (" + user + ") may not write or read " + denied.getFile() + ". HINT: give " + user
                    + " access to it (chown/chmod), or choose a directory it owns; under the shipped systemd unit"
                    + " (ProtectSystem=strict) the agent may write only below /var/lib/postgresql and /var/lib/walden:"
                    + " add others with systemctl edit walden-agent, [Service] ReadWritePaths=DIR";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null
                && fs.getReason().toLowerCase(java.util.Locale.ROOT).contains("read-only")) {
            return fs.getFile() + " is on a read-only file system (for the agent: systemd's ProtectSystem= makes most of /"
                    + " read-only; add the directory with ReadWritePaths=)";
        }
        if (e instanceof java.nio.file.NoSuchFileException missing) {
            return missing.getFile() + " does not exist" + (missing.getReason() == null ? "" : " (" + missing.getReason() + ")");
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException exists) {
            return exists.getFile() + " already exists";
        }
        if (e instanceof java.nio.file.DirectoryNotEmptyException notEmpty) {
            return notEmpty.getFile() + " is not empty";
        }
        if (e instanceof java.nio.file.NotDirectoryException notDirectory) {
            return notDirectory.getFile() + " is not a directory";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getFile() + ": " + fs.getReason();
        }
        String type = e.getClass().getSimpleName();
        return message == null ? type : type.endsWith("Exception") && message.startsWith("/") ? type + ": " + message : message;
    }

    /**
     * The one line a client gets for an unexpected failure inside the agent (a bug): which request, that it is the
     * agent's fault, and the log line that holds the stack trace ({@code WHAT failed unexpectedly}).
     */
    public static String internalError(String what, Throwable e) {
        return what + ": internal error in the agent (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); it stopped there. HINT: the agent's log has the"
                + " details (journalctl -u walden-agent, the line '" + what + " failed unexpectedly'); please report it";
    }
}
