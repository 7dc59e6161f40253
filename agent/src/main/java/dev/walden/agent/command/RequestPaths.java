package dev.walden.agent.command;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Checks paths that arrive in requests. The client resolves %p against PostgreSQL's data directory. */
final class RequestPaths {
    private RequestPaths() {}

    static Path absolute(String text, String what) {
        try {
            Path path = Path.of(text);
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException(what + " path '" + text + "' is not absolute");
            }
            return path.normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(what + " path is invalid: " + e.getMessage());
        }
    }
}
