package dev.walden.agent.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A stackable compression filter. The id is stored in each archived object so that fetch picks the matching
 * decompressor whatever the agent's current settings are.
 */
public interface Compressor {
    /** Stored in the object header: never renumber. */
    int id();

    String name();

    /** Wraps {@code out}; closing the returned stream finishes the compressed data and closes {@code out}. */
    OutputStream compressing(OutputStream out) throws IOException;

    /** Wraps {@code in}; reading returns the original bytes and fails on truncated or corrupt input. */
    InputStream decompressing(InputStream in) throws IOException;

    /** The decompressor for an id read from an archived object. */
    static Compressor forId(int id) {
        return switch (id) {
            case NoCompression.ID -> NoCompression.INSTANCE;
            case ZstdCompressor.ID -> new ZstdCompressor(ZstdCompressor.DEFAULT_LEVEL);
            default -> throw new IllegalArgumentException("unknown compression id " + id);
        };
    }
}
