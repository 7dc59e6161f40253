package dev.walden.agent.lookahead;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileIdentityTest {
    @TempDir
    Path dir;

    @Test
    void anyWriteReplacementOrTruncationChangesTheIdentity() throws Exception {
        Path file = Files.write(dir.resolve("000000010000000000000001"), new byte[] {1, 2, 3});
        FileIdentity original = FileIdentity.of(file);
        assertEquals(original, FileIdentity.of(file), "reading does not change it");

        Files.write(file, new byte[] {1, 2, 4});  // same size, rewritten in place
        assertNotEquals(original, FileIdentity.of(file));

        FileIdentity rewritten = FileIdentity.of(file);
        Path other = Files.write(dir.resolve("other"), new byte[] {1, 2, 4});
        Files.setLastModifiedTime(other, Files.getLastModifiedTime(file));
        Files.move(other, file, StandardCopyOption.REPLACE_EXISTING);  // replaced by another file, same size and mtime
        assertNotEquals(rewritten, FileIdentity.of(file));

        FileIdentity replaced = FileIdentity.of(file);
        FileTime mtime = Files.getLastModifiedTime(file);
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(1);
        }
        Files.setLastModifiedTime(file, mtime);  // even with the old mtime put back, size and ctime tell
        assertNotEquals(replaced, FileIdentity.of(file));
    }
}
