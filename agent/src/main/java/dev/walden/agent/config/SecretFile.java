package dev.walden.agent.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/** Reads files holding secrets (keyrings, passphrases, S3 secret keys), refusing any that others could read. */
public final class SecretFile {
    private static final Set<PosixFilePermission> PRIVATE = Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private SecretFile() {}

    /** @throws IOException with a message that says what to fix */
    public static List<String> readLines(Path file, String what) throws IOException {
        try {
            Path directory = file.toAbsolutePath().getParent();
            Set<PosixFilePermission> around = Files.getPosixFilePermissions(directory);
            if (around.contains(PosixFilePermission.OTHERS_WRITE) || around.contains(PosixFilePermission.GROUP_WRITE)) {
                throw new IOException(what + " " + file + " is in " + directory + ", which others may write (mode "
                        + PosixFilePermissions.toString(around) + "): anyone could replace the file; refusing to use it."
                        + " HINT: keep it in a directory only its owner writes, e.g. /etc/walden (chmod 700)");
            }
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!PRIVATE.containsAll(permissions)) {
                throw new IOException(what + " " + file + " is accessible to group or others (mode "
                        + PosixFilePermissions.toString(permissions) + "); refusing to use it. HINT: chmod 600 " + file);
            }
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException(what + " " + file + " does not exist");
        }
    }

    public static Set<PosixFilePermission> privateMode() {
        return PRIVATE;
    }
}
