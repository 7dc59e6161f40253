package dev.walden.agent.paths;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Empties a directory without ever following a symbolic link: a link inside is removed as a link, and what it points
 * to is left alone, so that {@code --force} deletes only what is under the directory it was given.
 */
public final class TreeDeletion {
    private TreeDeletion() {}

    /** Deletes everything inside {@code directory}, which must be a real directory (not a link); keeps the directory. */
    public static void clear(Path directory) throws IOException {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(directory + " is not a directory (or is a symbolic link); nothing was deleted");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    clear(entry);
                }
                Files.delete(entry);  // a link is deleted itself, never its target
            }
        }
    }
}
