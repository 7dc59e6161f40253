package dev.walden.agent.codec;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * zstd through zstd-jni. The NoFinalizer streams with a recycling buffer pool keep the per-segment cost to the
 * native context: no finalizers to run, no fresh 128 KiB buffers per file.
 */
public final class ZstdCompressor implements Compressor {
    public static final int ID = 1;
    public static final int DEFAULT_LEVEL = 3;
    private final int level;

    public ZstdCompressor(int level) {
        this.level = level;
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
    public OutputStream compressing(OutputStream out) throws IOException {
        ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(out, RecyclingBufferPool.INSTANCE, level);
        zstd.setChecksum(false); // the object trailer carries a SHA-256 of the original bytes
        return zstd;
    }

    @Override
    public InputStream decompressing(InputStream in) throws IOException {
        return new ZstdInputStreamNoFinalizer(in, RecyclingBufferPool.INSTANCE);
    }
}
