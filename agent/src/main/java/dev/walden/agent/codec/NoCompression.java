package dev.walden.agent.codec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/** Stores bytes as they are; lets callers always have a compressor instead of checking for none. */
public final class NoCompression implements Compressor {
    public static final int ID = 0;
    public static final NoCompression INSTANCE = new NoCompression();
    private static final int BUFFER = 256 * 1024;

    private NoCompression() {}

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return "none";
    }

    @Override
    public Encoder encoder() {
        ByteBuffer input = ByteBuffer.allocate(BUFFER);
        return new Encoder() {
            @Override
            public ByteBuffer input() {
                return input.clear();
            }

            @Override
            public void compress(ByteBuffer bytes, boolean last, OutputStream out) throws IOException {
                out.write(bytes.array(), bytes.position(), bytes.remaining());
                bytes.position(bytes.limit());
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public Decoder decoder() {
        return new Decoder() {
            @Override
            public void decompress(byte[] compressed, int offset, int length, Sink sink) throws IOException {
                sink.accept(ByteBuffer.wrap(compressed, offset, length));
            }

            @Override
            public boolean complete() {
                return true;
            }

            @Override
            public void close() {}
        };
    }
}
