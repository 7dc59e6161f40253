package dev.walden.agent.crypto;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import dev.walden.agent.codec.NonClosingOutputStream;

/**
 * Encryption of one archived object, specified in docs/encryption.md. Scheme 0 is none; scheme 1 is
 * AES-256-GCM in 64 KiB chunks under a random per-object data key, wrapped by the keyring's active key.
 *
 * <p>Header extension of scheme 1, written right after the object's common header:
 * <pre>
 * keyIdLength:u8  keyId (ASCII)  wrappedKey: nonce(12) ‖ AES-256-GCM(KEK, dataKey)(32) ‖ tag(16)
 * noncePrefix: 7 bytes  chunkSize:u32
 * </pre>
 * Every chunk's associated data is the whole header, common part and extension, as stored: it binds the object's
 * name, kind, compression, key id, wrapped key and nonce prefix to every chunk.
 */
public abstract sealed class ObjectEncryption permits ObjectEncryption.None, ObjectEncryption.AesGcmStream {
    public static final int NONE_ID = 0;
    public static final int AES_256_GCM_STREAM_ID = 1;
    static final int CHUNK_SIZE = 64 * 1024;
    static final int WRAPPED_KEY_BYTES = AesGcm.NONCE_BYTES + AesGcm.KEY_BYTES + AesGcm.TAG_BYTES;
    private static final byte[] WRAP_CONTEXT = "walden-data-key-v1".getBytes(StandardCharsets.US_ASCII);

    /** Supplies randomness; tests pass fixed bytes to reproduce the documented test vectors. */
    @FunctionalInterface
    public interface RandomBytes {
        void fill(byte[] bytes);

        static RandomBytes secure() {
            SecureRandom random = new SecureRandom();
            return random::nextBytes;
        }
    }

    /** How one object is being sealed: the header extension to store and the stream to write the payload through. */
    public interface Sealing {
        byte[] headerExtension();

        /** @param header the complete header as stored (associated data of every chunk) */
        OutputStream encrypt(OutputStream out, byte[] header);
    }

    public static ObjectEncryption none() {
        return None.INSTANCE;
    }

    public static ObjectEncryption aesGcm(Keyring keyring, RandomBytes random) {
        return new AesGcmStream(keyring, random);
    }

    /** The scheme id stored in the object header. */
    public abstract int id();

    /** The name stored in the repository record, so a repository is never mixed. */
    public abstract String repositoryMode();

    public abstract Sealing beginObject();

    /**
     * Reads the header extension of a stored object, for any scheme this agent knows, with the keys it has.
     *
     * @param headerSoFar the common header already read; returned opener authenticates it too
     */
    public static Opening readHeaderExtension(int scheme, DataInputStream in, byte[] headerSoFar, Keyring keyring, String objectName)
            throws IOException {
        if (scheme == NONE_ID) {
            return new Opening(headerSoFar, stream -> stream);
        }
        if (scheme != AES_256_GCM_STREAM_ID) {
            throw new DecryptionException(objectName + ": unknown encryption scheme " + scheme);
        }
        ByteArrayOutputStream extension = new ByteArrayOutputStream();
        int idLength = in.readUnsignedByte();
        if (idLength < 1 || idLength > 32) {
            throw new DecryptionException(objectName + ": encryption header is damaged (key id length " + idLength + ")");
        }
        byte[] id = in.readNBytes(idLength);
        byte[] wrapped = in.readNBytes(WRAPPED_KEY_BYTES);
        byte[] prefix = in.readNBytes(StreamNonce.PREFIX_BYTES);
        if (id.length != idLength || wrapped.length != WRAPPED_KEY_BYTES || prefix.length != StreamNonce.PREFIX_BYTES) {
            throw new DecryptionException(objectName + ": object is truncated in its encryption header");
        }
        int chunkSize = in.readInt();
        if (chunkSize < 1024 || chunkSize > (4 << 20)) {
            throw new DecryptionException(objectName + ": encryption header is damaged (chunk size " + chunkSize + ")");
        }
        extension.write(idLength);
        extension.write(id);
        extension.write(wrapped);
        extension.write(prefix);
        new DataOutputStream(extension).writeInt(chunkSize);
        byte[] header = concat(headerSoFar, extension.toByteArray());
        String keyId = new String(id, StandardCharsets.US_ASCII);
        if (keyring.isEmpty()) {
            throw new DecryptionException(objectName + ": object is encrypted with key " + keyId + " but no keyring is configured");
        }
        byte[] kek = keyring.key(keyId).orElseThrow(() -> new DecryptionException(objectName + ": object is encrypted with key "
                + keyId + ", which the keyring does not have (it has " + String.join(", ", keyring.ids()) + ")"));
        byte[] dataKey = new byte[AesGcm.KEY_BYTES];
        new AesGcm().open(kek, Arrays.copyOf(wrapped, AesGcm.NONCE_BYTES), wrapContext(id), wrapped, AesGcm.NONCE_BYTES,
                WRAPPED_KEY_BYTES - AesGcm.NONCE_BYTES, dataKey, 0,
                objectName + ": data key (wrong key " + keyId + " or tampered header)");
        return new Opening(header, stream -> new DecryptingInputStream(stream, dataKey, prefix, header, chunkSize, objectName));
    }

    /** How to read one object's payload, once its header is known. */
    public record Opening(byte[] header, Decryptor decryptor) {
        public InputStream decrypt(InputStream payload) {
            return decryptor.wrap(payload);
        }
    }

    @FunctionalInterface
    public interface Decryptor {
        InputStream wrap(InputStream payload);
    }

    static byte[] wrapContext(byte[] keyId) {
        return concat(WRAP_CONTEXT, keyId);
    }

    public static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    static final class None extends ObjectEncryption {
        static final None INSTANCE = new None();

        @Override
        public int id() {
            return NONE_ID;
        }

        @Override
        public String repositoryMode() {
            return "none";
        }

        @Override
        public Sealing beginObject() {
            return new Sealing() {
                @Override
                public byte[] headerExtension() {
                    return new byte[0];
                }

                @Override
                public OutputStream encrypt(OutputStream out, byte[] header) {
                    return new NonClosingOutputStream(out);
                }
            };
        }
    }

    static final class AesGcmStream extends ObjectEncryption {
        private final Keyring keyring;
        private final RandomBytes random;

        AesGcmStream(Keyring keyring, RandomBytes random) {
            if (keyring.isEmpty()) {
                throw new IllegalArgumentException("AES-GCM encryption needs a keyring with an active key");
            }
            this.keyring = keyring;
            this.random = random;
        }

        @Override
        public int id() {
            return AES_256_GCM_STREAM_ID;
        }

        @Override
        public String repositoryMode() {
            return "aes-256-gcm";
        }

        @Override
        public Sealing beginObject() {
            byte[] dataKey = new byte[AesGcm.KEY_BYTES];
            random.fill(dataKey);
            byte[] wrapNonce = new byte[AesGcm.NONCE_BYTES];
            random.fill(wrapNonce);
            byte[] prefix = new byte[StreamNonce.PREFIX_BYTES];
            random.fill(prefix);
            byte[] id = keyring.activeId().getBytes(StandardCharsets.US_ASCII);
            byte[] wrapped = Arrays.copyOf(wrapNonce, WRAPPED_KEY_BYTES);
            new AesGcm().seal(keyring.activeKey(), wrapNonce, wrapContext(id), dataKey, 0, dataKey.length, wrapped, AesGcm.NONCE_BYTES);
            ByteArrayOutputStream extension = new ByteArrayOutputStream();
            extension.write(id.length);
            extension.writeBytes(id);
            extension.writeBytes(wrapped);
            extension.writeBytes(prefix);
            extension.writeBytes(new byte[] {0, 1, 0, 0}); // chunkSize 65536, big-endian
            byte[] headerExtension = extension.toByteArray();
            return new Sealing() {
                @Override
                public byte[] headerExtension() {
                    return headerExtension;
                }

                @Override
                public OutputStream encrypt(OutputStream out, byte[] header) {
                    return new EncryptingOutputStream(out, dataKey, prefix, header, CHUNK_SIZE);
                }
            };
        }
    }
}
