package dev.walden.agent.codec;

import java.io.InputStream;
import java.io.OutputStream;

/** Stores bytes as they are; lets callers always have a compressor instead of checking for none. */
public final class NoCompression implements Compressor {
    public static final int ID = 0;
    public static final NoCompression INSTANCE = new NoCompression();

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
    public OutputStream compressing(OutputStream out) {
        return out;
    }

    @Override
    public InputStream decompressing(InputStream in) {
        return in;
    }
}
