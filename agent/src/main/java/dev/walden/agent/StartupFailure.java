package dev.walden.agent;

import dev.walden.agent.config.AgentConfig;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a failure to start into one line that names the option, the path and the operating system's error, e.g.
 * {@code cannot start: spool-path = /var/lib/walden/spool: cannot create /var/lib/walden: permission denied}.
 */
final class StartupFailure {
    private StartupFailure() {}

    static String describe(AgentConfig config, Throwable failure) {
        Optional<FileSystemException> fileError = find(failure);
        if (fileError.isEmpty() || fileError.get().getFile() == null) {
            return failure.getMessage() == null ? failure.toString() : failure.getMessage();
        }
        FileSystemException e = fileError.get();
        Path file = Path.of(e.getFile()).toAbsolutePath().normalize();
        String error = osError(e);
        for (var option : paths(config).entrySet()) {
            Path configured = option.getValue().toAbsolutePath().normalize();
            if (configured.startsWith(file) || file.startsWith(configured)) {
                // The socket is a file the agent creates: the directory to make is its parent.
                Path directory = option.getKey().equals("socket-path") ? configured.getParent() : configured;
                String user = System.getProperty("user.name");
                return option.getKey() + " = " + option.getValue() + ": " + (file.equals(configured) ? "" : "at " + file + ": ")
                        + error + ". HINT: create " + (option.getKey().equals("socket-path") ? "its directory" : "it")
                        + " for the agent's user (e.g. install -d -o " + user + " " + directory
                        + (option.getKey().equals("socket-path") ? "; systemd's RuntimeDirectory=walden does this for /run/walden" : "")
                        + "), or set " + option.getKey() + " to a " + (option.getKey().equals("socket-path") ? "path in a directory" : "directory")
                        + " that user may write";
            }
        }
        return file + ": " + error;
    }

    /** The options that name paths the agent creates or opens at start-up. */
    private static Map<String, Path> paths(AgentConfig config) {
        Map<String, Path> paths = new LinkedHashMap<>();
        paths.put("socket-path", config.socketPath());
        paths.put("spool-path", config.spoolPath());
        if (config.repoType().equals("local")) {
            paths.put("repo-path", config.repoPath());
        }
        if (config.spill().enabled()) {
            paths.put("spill-path", config.spill().path());
        }
        config.keyringPath().ifPresent(p -> paths.put("keyring-path", p));
        config.keyringPassphraseFile().ifPresent(p -> paths.put("keyring-passphrase-file", p));
        return paths;
    }

    private static String osError(FileSystemException e) {
        String reason = e.getReason();
        if (reason != null && !reason.isBlank()) {
            return reason.toLowerCase(java.util.Locale.ROOT);
        }
        return switch (e) {
            case AccessDeniedException ignored -> "permission denied";
            case NoSuchFileException ignored -> "no such file or directory";
            case FileAlreadyExistsException ignored -> "already exists";
            case NotDirectoryException ignored -> "not a directory";
            default -> e.getClass().getSimpleName();
        };
    }

    private static Optional<FileSystemException> find(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof FileSystemException f) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
