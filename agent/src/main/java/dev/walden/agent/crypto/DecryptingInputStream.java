package dev.walden.agent.crypto;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reverses {@link EncryptingOutputStream}. A chunk is the final one exactly when the source ends after it, and is
 * authenticated with that final flag: a stream cut at a chunk boundary, chunks reordered or spliced from another
 * object, or data appended after the final chunk all fail authentication.
 */
final class DecryptingInputStream extends InputStream {
    private final InputStream in;
    private final byte[] dataKey;
    private final byte[] noncePrefix;
    private final byte[] aad;
    private final String objectName;
    private final byte[] sealed;
    private final byte[] plain;
    private final AesGcm gcm = new AesGcm();
    private int position;
    private int limit;
    private long index;
    private boolean finished;
    private int pendingByte = -1;

    DecryptingInputStream(InputStream in, byte[] dataKey, byte[] noncePrefix, byte[] aad, int chunkSize, String objectName) {
        this.in = in;
        this.dataKey = dataKey;
        this.noncePrefix = noncePrefix;
        this.aad = aad;
        this.objectName = objectName;
        this.sealed = new byte[chunkSize + AesGcm.TAG_BYTES];
        this.plain = new byte[chunkSize];
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        while (position == limit) {
            if (finished) {
                return -1;
            }
            nextChunk();
        }
        int count = Math.min(length, limit - position);
        System.arraycopy(plain, position, bytes, offset, count);
        position += count;
        return count;
    }

    private void nextChunk() throws IOException {
        int length = 0;
        if (pendingByte >= 0) {
            sealed[length++] = (byte) pendingByte;
            pendingByte = -1;
        }
        while (length < sealed.length) {
            int read = in.read(sealed, length, sealed.length - length);
            if (read < 0) {
                break;
            }
            length += read;
        }
        boolean last;
        if (length < sealed.length) {
            last = true;
        } else {
            pendingByte = in.read();
            last = pendingByte < 0;
        }
        if (index > 0xFFFF_FFFFL) {
            throw new DecryptionException(objectName + ": encrypted stream has too many chunks");
        }
        String what = objectName + ": chunk " + index + (last ? " (final)" : "");
        limit = gcm.open(dataKey, StreamNonce.of(noncePrefix, index, last), aad, sealed, 0, length, plain, 0,
                length < AesGcm.TAG_BYTES ? objectName + ": encrypted stream" : what);
        position = 0;
        index++;
        finished = last;
    }
}
