package dev.walden.agent.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The direct-buffer encoder and decoder: exact round trips, and damaged streams are reported, not guessed at. */
class ZstdCompressorTest {
    private final ZstdCompressor zstd = new ZstdCompressor(3);

    private byte[] compress(byte[] original) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Compressor.Encoder encoder = zstd.encoder()) {
            int offset = 0;
            boolean end = false;
            while (!end) {
                ByteBuffer input = encoder.input();
                int count = Math.min(input.remaining(), original.length - offset);
                input.put(original, offset, count).flip();
                offset += count;
                end = offset == original.length;
                encoder.compress(input, end, out);
            }
        }
        return out.toByteArray();
    }

    /** Feeds the decoder in odd-sized pieces, as chunks arrive. */
    private byte[] decompress(byte[] compressed, boolean[] complete) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Compressor.Decoder decoder = ZstdCompressor.DECODING.decoder()) {
            for (int offset = 0; offset < compressed.length; offset += 7777) {
                decoder.decompress(compressed, offset, Math.min(7777, compressed.length - offset), original -> {
                    byte[] bytes = new byte[original.remaining()];
                    original.get(bytes);
                    out.write(bytes);
                });
            }
            complete[0] = decoder.complete();
        }
        return out.toByteArray();
    }

    private static byte[] sample(int size) {
        byte[] bytes = new byte[size];
        Random random = new Random(size);
        for (int i = 0; i < size; i += 64) {
            bytes[i] = (byte) random.nextInt();  // compressible, not trivial
        }
        return bytes;
    }

    @Test
    void roundTripsOfEverySizeAroundTheBufferBoundaries() throws IOException {
        for (int size : new int[] {0, 1, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 3 << 20}) {
            byte[] original = sample(size);
            boolean[] complete = new boolean[1];
            assertArrayEquals(original, decompress(compress(original), complete), "size " + size);
            assertTrue(complete[0], "size " + size);
        }
    }

    @Test
    void aCutStreamIsIncompleteAndDataAfterTheEndIsRefused() throws IOException {
        byte[] compressed = compress(sample(1 << 20));
        boolean[] complete = new boolean[1];
        decompress(Arrays.copyOf(compressed, compressed.length - 3), complete);
        assertFalse(complete[0], "a truncated stream never counts as complete");

        byte[] extended = Arrays.copyOf(compressed, compressed.length + 5);
        IOException e = assertThrows(IOException.class, () -> decompress(extended, new boolean[1]));
        assertTrue(e.getMessage().contains("after the end"), e.getMessage());
    }

    @Test
    void pooledContextsStartClean() throws IOException {
        byte[] first = compress(sample(100_000));
        compress(sample(1 << 20));  // leaves a context in the pool after another stream
        assertArrayEquals(first, compress(sample(100_000)), "same input, same output: no state carried over");
    }
}
