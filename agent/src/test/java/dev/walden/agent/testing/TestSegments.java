package dev.walden.agent.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Writes WAL segments with a valid long page header and WAL-like (compressible, but not trivial) contents. */
public final class TestSegments {
    public static final int SEGMENT_SIZE = 16 << 20;
    public static final long SYSTEM_ID = 7312345678901234567L;

    private TestSegments() {}

    public static byte[] segment(String name, long systemIdentifier, long seed) {
        return segment(name, systemIdentifier, seed, SEGMENT_SIZE);
    }

    public static byte[] segment(String name, long systemIdentifier, long seed, int segmentSize) {
        byte[] bytes = new byte[segmentSize];
        Random random = new Random(seed);
        for (int i = 0; i < bytes.length; i += 64) {
            // Runs of repeated bytes with random breaks, roughly as compressible as pgbench WAL.
            byte value = (byte) random.nextInt(8);
            int run = Math.min(64, bytes.length - i);
            for (int j = 0; j < run; j++) {
                bytes[i + j] = j % 16 == 0 ? (byte) random.nextInt() : value;
            }
        }
        ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        long timeline = Long.parseLong(name.substring(0, 8), 16);
        long log = Long.parseLong(name.substring(8, 16), 16);
        long seg = Long.parseLong(name.substring(16, 24), 16);
        long segmentNumber = log * (0x1_0000_0000L / segmentSize) + seg;
        header.putShort(0, (short) 0xD110);
        header.putShort(2, (short) 0x0006); // XLP_LONG_HEADER | XLP_BKP_REMOVABLE
        header.putInt(4, (int) timeline);
        header.putLong(8, segmentNumber * segmentSize);
        header.putInt(16, 0);
        header.putInt(20, 0);
        header.putLong(24, systemIdentifier);
        header.putInt(32, segmentSize);
        header.putInt(36, 8192);
        return bytes;
    }

    /** Writes a segment into {@code dataDirectory/pg_wal/NAME}, with a matching {@code global/pg_control}. */
    public static Path write(Path dataDirectory, String name, long systemIdentifier, long seed) throws IOException {
        Path walDir = dataDirectory.resolve("pg_wal");
        Files.createDirectories(walDir);
        writeControlFile(dataDirectory, systemIdentifier);
        Path file = walDir.resolve(name);
        Files.write(file, segment(name, systemIdentifier, seed));
        return file;
    }

    public static void writeControlFile(Path dataDirectory, long systemIdentifier) throws IOException {
        Path global = dataDirectory.resolve("global");
        Files.createDirectories(global);
        Files.write(global.resolve("pg_control"),
                ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder()).putLong(0, systemIdentifier).array());
    }
}
