package dev.walden.agent.codec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A compression algorithm, used through reusable encoders and decoders that work on direct buffers: the file is read
 * straight into native memory, compressed or decompressed there and written out without copies through the Java
 * heap (docs/benchmarks.md: the stream-on-heap form cost a quarter more CPU per segment). The id is stored in each
 * archived object so that fetch picks the matching decoder whatever the agent's current settings are.
 */
public interface Compressor {
    /** Stored in the object header: never renumber. */
    int id();

    String name();

    /** Borrows an encoder for one stream; closing it returns it for reuse. */
    Encoder encoder();

    /** Borrows a decoder for one stream; closing it returns it for reuse. */
    Decoder decoder();

    /** Compresses one stream; not thread-safe. */
    interface Encoder extends AutoCloseable {
        /** An empty buffer (direct for a native codec) to fill with original bytes, flip and pass to {@link #compress}. */
        ByteBuffer input();

        /** Compresses all of {@code input}, writing compressed bytes to {@code out}; {@code last} ends the stream. */
        void compress(ByteBuffer input, boolean last, OutputStream out) throws IOException;

        @Override
        void close();
    }

    /** Decompresses one stream; not thread-safe. */
    interface Decoder extends AutoCloseable {
        /**
         * Decompresses the next compressed bytes, handing the original bytes to {@code sink} in order. Whatever the
         * sink throws passes through unchanged.
         *
         * @throws DamagedInputException when the bytes are not a valid stream, or continue after its end
         */
        void decompress(byte[] compressed, int offset, int length, Sink sink) throws IOException;

        /** Whether the stream ended properly: false means it was cut short. */
        boolean complete();

        @Override
        void close();
    }

    /** Compressed input that is not a valid stream: the stored object is damaged, not the storage unreachable. */
    final class DamagedInputException extends IOException {
        public DamagedInputException(String message) {
            super(message);
        }
    }

    /** Receives decompressed bytes; the buffer is only valid during the call. */
    interface Sink {
        void accept(ByteBuffer original) throws IOException;
    }

    /** The decompressor for an id read from an archived object. */
    static Compressor forId(int id) {
        return switch (id) {
            case NoCompression.ID -> NoCompression.INSTANCE;
            case ZstdCompressor.ID -> ZstdCompressor.DECODING;
            default -> throw new IllegalArgumentException("unknown compression id " + id);
        };
    }
}
