package dev.walden.agent.codec;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * zstd through zstd-jni's context API on direct buffers: one frame per object, no frame checksum (the object trailer
 * has one). Contexts and buffers are pooled, so a segment allocates nothing.
 */
public final class ZstdCompressor implements Compressor {
    public static final int ID = 1;
    public static final int DEFAULT_LEVEL = 3;
    /** Decoding needs no level: the one instance fetch uses. */
    static final ZstdCompressor DECODING = new ZstdCompressor(DEFAULT_LEVEL);
    private static final int IDLE = 8;
    private static final int INPUT = 256 * 1024;
    private static final int OUTPUT = 128 * 1024;
    private static final CodecPool<ZstdDecoder> DECODERS = new CodecPool<>(IDLE, ZstdDecoder::new, ZstdDecoder::free);

    private final int level;
    private final CodecPool<ZstdEncoder> encoders;

    public ZstdCompressor(int level) {
        this.level = level;
        this.encoders = new CodecPool<>(IDLE, ZstdEncoder::new, ZstdEncoder::free);
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return "zstd-" + level;
    }

    @Override
    public Encoder encoder() {
        ZstdEncoder encoder = encoders.borrow();
        encoder.context.reset();
        encoder.context.setLevel(level);
        encoder.context.setChecksum(false);
        return encoder;
    }

    @Override
    public Decoder decoder() {
        ZstdDecoder decoder = DECODERS.borrow();
        decoder.context.reset();
        decoder.finished = false;
        return decoder;
    }

    private final class ZstdEncoder implements Encoder {
        private final ZstdCompressCtx context = new ZstdCompressCtx();
        private final ByteBuffer input = ByteBuffer.allocateDirect(INPUT);
        private final ByteBuffer output = ByteBuffer.allocateDirect(OUTPUT);
        private final byte[] transfer = new byte[OUTPUT];

        @Override
        public ByteBuffer input() {
            return input.clear();
        }

        @Override
        public void compress(ByteBuffer bytes, boolean last, OutputStream out) throws IOException {
            boolean done;
            do {
                output.clear();
                try {
                    done = context.compressDirectByteBufferStream(output, bytes, last ? EndDirective.END : EndDirective.CONTINUE);
                } catch (ZstdException e) {
                    throw new IOException("zstd compression failed: " + e.getMessage(), e);
                }
                output.flip();
                int count = output.remaining();
                output.get(transfer, 0, count);
                out.write(transfer, 0, count);
                // CONTINUE is finished once the input is consumed; END once the frame is flushed.
            } while (last ? !done : bytes.hasRemaining());
        }

        @Override
        public void close() {
            encoders.giveBack(this);
        }

        void free() {
            context.close();
        }
    }

    private static final class ZstdDecoder implements Decoder {
        private final ZstdDecompressCtx context = new ZstdDecompressCtx();
        private final ByteBuffer input = ByteBuffer.allocateDirect(OUTPUT);
        private final ByteBuffer output = ByteBuffer.allocateDirect(INPUT);
        private boolean finished;

        @Override
        public void decompress(byte[] compressed, int offset, int length, Sink sink) throws IOException {
            while (length > 0) {
                if (finished) {
                    throw new DamagedInputException("data after the end of the compressed stream");
                }
                int count = Math.min(length, input.capacity());
                input.clear();
                input.put(compressed, offset, count).flip();
                offset += count;
                length -= count;
                while (true) {
                    output.clear();
                    boolean frameDone;
                    try {
                        frameDone = context.decompressDirectByteBufferStream(output, input);
                    } catch (ZstdException e) {
                        throw new DamagedInputException("zstd: " + e.getMessage());
                    }
                    boolean full = !output.hasRemaining();
                    output.flip();
                    if (output.hasRemaining()) {
                        sink.accept(output);
                    }
                    if (frameDone) {
                        finished = true;
                        if (input.hasRemaining()) {
                            throw new DamagedInputException("data after the end of the compressed stream");
                        }
                        break;
                    }
                    if (!input.hasRemaining() && !full) {
                        break;
                    }
                }
            }
        }

        @Override
        public boolean complete() {
            return finished;
        }

        @Override
        public void close() {
            DECODERS.giveBack(this);
        }

        void free() {
            context.close();
        }
    }
}
