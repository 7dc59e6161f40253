package dev.walden.agent.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/** SHA-256 of a file's first {@code length} bytes (or all of it, if shorter); empty when it is gone. */
final class FileChecksum {
    private FileChecksum() {}

    static Optional<String> sha256(Path path, long length) throws IOException {
        MessageDigest digest = BundleSource.sha256();
        ByteBuffer buffer = ByteBuffer.allocate(128 * 1024);
        try (FileChannel channel = FileChannel.open(path)) {
            long remaining = length;
            while (remaining > 0) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), remaining));
                int read = channel.read(buffer);
                if (read < 0) {
                    break;
                }
                buffer.flip();
                digest.update(buffer);
                remaining -= read;
            }
        } catch (NoSuchFileException vanished) {
            return Optional.empty();
        }
        return Optional.of(HexFormat.of().formatHex(digest.digest()));
    }
}
