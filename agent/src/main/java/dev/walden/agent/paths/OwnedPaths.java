package dev.walden.agent.paths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the agent owns and no command may write into or delete: the repository, the spool, the socket, the keyring,
 * the configuration file, the drill path. Every path a command writes to for a caller is judged here <em>after</em>
 * resolving it as the kernel would (symlinks followed, {@code ..} applied to the real parent), so a link to the
 * repository is refused as the repository itself is.
 *
 * <p>Paths are resolved when judged, not only at start-up: an owned directory created later, or a link made to one,
 * is still recognised.
 */
public final class OwnedPaths {
    /** One owned path and what it is, for the refusal message. */
    public record Owned(Path path, String what) {}

    private final List<Owned> owned;

    public OwnedPaths(List<Owned> owned) {
        this.owned = List.copyOf(owned);
    }

    public static OwnedPaths none() {
        return new OwnedPaths(List.of());
    }

    /** These and {@code more}. */
    public OwnedPaths plus(Owned... more) {
        List<Owned> all = new ArrayList<>(owned);
        all.addAll(List.of(more));
        return new OwnedPaths(all);
    }

    public List<Owned> owned() {
        return owned;
    }

    /**
     * Resolves a path component by component as the kernel would: each existing prefix is replaced by its real path
     * (following symlinks), {@code ..} goes to the real parent, and what does not exist yet is appended as written.
     *
     * @param path an absolute path
     */
    public static Path resolve(Path path) throws IOException {
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("not an absolute path: " + path);
        }
        Path current = path.getRoot();
        boolean existing = true;
        int links = 0;
        for (Path part : path) {
            String name = part.toString();
            if (name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                current = current.getParent() == null ? current : current.getParent();
                continue;
            }
            current = current.resolve(name);
            if (existing) {
                if (Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                    if (Files.isSymbolicLink(current) && ++links > 40) {
                        throw new IOException("too many symbolic links resolving " + path);
                    }
                    try {
                        current = current.toRealPath();
                    } catch (IOException dangling) {
                        // A dangling link: what would be created is its target, so judge that.
                        Path target = Files.readSymbolicLink(current);
                        current = resolve(current.getParent().resolve(target));
                    }
                } else {
                    existing = false;
                }
            }
        }
        return current;
    }

    /**
     * Resolves {@code requested} and refuses it when it overlaps anything owned (inside it, or holding it).
     *
     * @param role what the caller asked for, e.g. "the data directory", for the message
     * @return the resolved path, which is where the command must then write
     */
    public Path judge(Path requested, String role) throws RefusedPathException, IOException {
        Path resolved = resolve(requested.toAbsolutePath());
        for (Owned kept : owned) {
            Path keptPath = resolve(kept.path().toAbsolutePath());
            if (resolved.startsWith(keptPath) || keptPath.startsWith(resolved)) {
                throw new RefusedPathException(role + " " + requested + (resolved.equals(requested) ? "" : " (which is " + resolved + ")")
                        + " would overlap " + kept.path() + ", the agent's " + kept.what() + "; writing or deleting there could destroy"
                        + " it. HINT: choose a directory of its own, outside everything the agent keeps");
            }
        }
        return resolved;
    }

    /** A path that a command may not write to. */
    public static final class RefusedPathException extends Exception {
        public RefusedPathException(String message) {
            super(message);
        }
    }
}
