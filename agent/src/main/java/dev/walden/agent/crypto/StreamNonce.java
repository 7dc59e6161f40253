package dev.walden.agent.crypto;

/** The per-chunk nonce of the STREAM construction: 7-byte random prefix, u32 chunk index, u8 final flag. */
final class StreamNonce {
    static final int PREFIX_BYTES = 7;

    private StreamNonce() {}

    static byte[] of(byte[] prefix, long index, boolean last) {
        byte[] nonce = new byte[AesGcm.NONCE_BYTES];
        System.arraycopy(prefix, 0, nonce, 0, PREFIX_BYTES);
        nonce[7] = (byte) (index >>> 24);
        nonce[8] = (byte) (index >>> 16);
        nonce[9] = (byte) (index >>> 8);
        nonce[10] = (byte) index;
        nonce[11] = (byte) (last ? 1 : 0);
        return nonce;
    }
}
