package dev.walden.agent.crypto;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Encrypts a stream in fixed-size chunks (STREAM construction): chunk i is AES-256-GCM with nonce
 * {@code prefix(7) ‖ i(u32) ‖ final(u8)} and the object header as associated data. A chunk is emitted only once
 * it is known whether more data follows, so the final flag is always right; close emits the final chunk (possibly
 * empty). Memory: one plaintext and one ciphertext chunk.
 */
final class EncryptingOutputStream extends OutputStream {
    private final OutputStream out;
    private final byte[] dataKey;
    private final byte[] noncePrefix;
    private final byte[] aad;
    private final byte[] plain;
    private final byte[] sealed;
    private final AesGcm gcm = new AesGcm();
    private int filled;
    private long index;
    private boolean closed;

    EncryptingOutputStream(OutputStream out, byte[] dataKey, byte[] noncePrefix, byte[] aad, int chunkSize) {
        this.out = out;
        this.dataKey = dataKey;
        this.noncePrefix = noncePrefix;
        this.aad = aad;
        this.plain = new byte[chunkSize];
        this.sealed = new byte[chunkSize + AesGcm.TAG_BYTES];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            if (filled == plain.length) {
                emit(false);
            }
            int count = Math.min(length, plain.length - filled);
            System.arraycopy(bytes, offset, plain, filled, count);
            filled += count;
            offset += count;
            length -= count;
        }
    }

    private void emit(boolean last) throws IOException {
        if (index > 0xFFFF_FFFFL) {
            throw new IOException("object exceeds the 2^32 chunks an encrypted stream can hold");
        }
        int length = gcm.seal(dataKey, StreamNonce.of(noncePrefix, index, last), aad, plain, 0, filled, sealed, 0);
        out.write(sealed, 0, length);
        index++;
        filled = 0;
    }

    /** Writes the final chunk; leaves the underlying stream open. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            emit(true);
            java.util.Arrays.fill(plain, (byte) 0);
        }
    }
}
