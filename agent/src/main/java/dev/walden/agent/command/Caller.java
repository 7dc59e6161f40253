package dev.walden.agent.command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Who asked, from the connection's peer credentials: a command that writes or deletes runs only for an operator, and
 * writes a file for its caller only where the caller could have written it.
 *
 * @param uid      the peer's user id
 * @param pid      the peer's process id, for the log
 * @param name     the user's name, or the uid as text
 * @param operator whether {@code operator-users} (or being the agent's user, or root) lets it write and delete
 * @param trusted  the agent's own user or root: its rights are the agent's, so no further check applies
 */
public record Caller(int uid, int pid, String name, boolean operator, boolean trusted) {
    /** The agent itself, for scheduled jobs. */
    public static Caller agent() {
        return new Caller(-1, (int) ProcessHandle.current().pid(), "the agent's schedule", true, true);
    }

    public String describe() {
        return uid < 0 ? name : "uid " + uid + " (" + name + "), pid " + pid;
    }

    /**
     * Whether the caller could create {@code target} itself: its nearest existing ancestor is a directory the caller
     * owns and may write. Group and other write bits are not trusted: a shared directory such as /tmp is not enough
     * for a file the agent then writes with its own rights.
     *
     * @param target a path already resolved (symlinks followed)
     */
    public boolean mayWrite(Path target) throws IOException {
        if (trusted) {
            return true;
        }
        Path existing = target;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return false;
        }
        Path directory = Files.isDirectory(existing, LinkOption.NOFOLLOW_LINKS) || existing.getParent() == null ? existing : existing.getParent();
        int owner = (Integer) Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) Files.getAttribute(directory, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        boolean ownsExisting = existing.equals(directory)
                || (Integer) Files.getAttribute(existing, "unix:uid", LinkOption.NOFOLLOW_LINKS) == uid;
        return owner == uid && (mode & 0200) != 0 && ownsExisting;
    }
}
