package dev.walden.agent.backup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The checksum a manifest records for a file: its SHA-256 when it is at most one range (128 MiB) long, else the
 * SHA-256 of the SHA-256 digests of its ranges, in order, so that the ranges of a large file are hashed by
 * different threads (docs/format.md). Every reader and writer of manifest checksums uses this one definition.
 */
public final class FileChecksum {
    /** The range a large file is hashed (and copied) in. */
    public static final long RANGE_BYTES = BlockSource.RANGE_BYTES;

    private FileChecksum() {}

    /** The checksum of a file's first {@code length} bytes (or all of it, if shorter); empty when it is gone. */
    public static Optional<String> of(Path path, long length) throws IOException {
        List<byte[]> digests = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.allocate(128 * 1024);
        try (FileChannel channel = FileChannel.open(path)) {
            long remaining = length;
            do {
                MessageDigest digest = BundleSource.sha256();
                long rangeLeft = Math.min(remaining, BlockSource.RANGE_BYTES);
                long rangeRead = 0;
                while (rangeLeft > 0) {
                    buffer.clear().limit((int) Math.min(buffer.capacity(), rangeLeft));
                    int read = channel.read(buffer);
                    if (read < 0) {
                        break;
                    }
                    digest.update(buffer.flip());
                    rangeLeft -= read;
                    rangeRead += read;
                }
                digests.add(digest.digest());
                remaining -= rangeRead;
                if (rangeRead < BlockSource.RANGE_BYTES) {
                    break;
                }
            } while (remaining > 0);
        } catch (NoSuchFileException vanished) {
            return Optional.empty();
        }
        return Optional.of(HexFormat.of().formatHex(combine(digests)));
    }

    /** One range: its own digest; several: the digest of their digests. */
    static byte[] combine(List<byte[]> rangeDigests) {
        if (rangeDigests.size() == 1) {
            return rangeDigests.get(0);
        }
        MessageDigest digest = BundleSource.sha256();
        rangeDigests.forEach(digest::update);
        return digest.digest();
    }

    /**
     * The 64-bit checksum of one block as block maps hold it: CRC-32C of its bytes in the high half, CRC-32 in the
     * low half (docs/format.md). Leaves {@code block}'s position unchanged.
     */
    public static long blockChecksum(java.nio.ByteBuffer block) {
        java.util.zip.CRC32C crc32c = new java.util.zip.CRC32C();
        crc32c.update(block.duplicate());
        java.util.zip.CRC32 crc32 = new java.util.zip.CRC32();
        crc32.update(block.duplicate());
        return crc32c.getValue() << 32 | crc32.getValue();
    }
}
