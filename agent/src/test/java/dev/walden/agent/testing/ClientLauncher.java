package dev.walden.agent.testing;

import dev.walden.cli.Walden;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * Writes a {@code walden} launcher for PostgreSQL to run, the way the distribution's {@code bin/walden} does:
 * the client's classes copied to a place the postgres user can read, run by this JVM's java.
 */
public final class ClientLauncher {
    private ClientLauncher() {}

    public static Path write(Path directory, Path socket) throws IOException {
        Path classes = directory.resolve("client-classes");
        Path classpath = copyTree(clientLocation(), classes);
        String java = ProcessHandle.current().info().command().orElse("java");
        Path script = directory.resolve("walden");
        Files.writeString(script, """
                #!/bin/sh
                exec '%s' -XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1 -cp '%s' dev.walden.cli.Walden --socket '%s' "$@"
                """.formatted(java, classpath, socket));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private static Path clientLocation() {
        try {
            return Path.of(Walden.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies the client's classes or jar and returns the class path entry to use. */
    private static Path copyTree(Path source, Path target) throws IOException {
        if (Files.isRegularFile(source)) {
            Files.createDirectories(target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path jar = target.resolve("archive-cli.jar");
            Files.copy(source, jar, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
            return jar;
        }
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path destination = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(destination);
                    Files.setPosixFilePermissions(destination, PosixFilePermissions.fromString("rwxr-xr-x"));
                } else {
                    Files.copy(path, destination, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(destination, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
        }
        return target;
    }
}
