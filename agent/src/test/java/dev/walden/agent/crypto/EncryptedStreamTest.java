package dev.walden.agent.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Round trips at chunk boundaries and every way of tampering with an encrypted object. */
class EncryptedStreamTest {
    static final int CHUNK = ObjectEncryption.CHUNK_SIZE;
    static final byte[] COMMON_HEADER = "WLDN-common-header-000000010000000000000001".getBytes(StandardCharsets.US_ASCII);
    private final Keyring keyring = keyring("k1", 1);

    static Keyring keyring(String id, int seed) {
        byte[] key = new byte[32];
        new Random(seed).nextBytes(key);
        return new Keyring(Map.of(id, key), id);
    }

    /** Stored bytes: header extension then the encrypted payload, as ObjectCodec lays them out. */
    static byte[] seal(ObjectEncryption encryption, byte[] commonHeader, byte[] plaintext) throws IOException {
        ObjectEncryption.Sealing sealing = encryption.beginObject();
        byte[] header = ObjectEncryption.concat(commonHeader, sealing.headerExtension());
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        stored.write(sealing.headerExtension());
        try (OutputStream out = sealing.encrypt(stored, header)) {
            // write in odd-sized pieces so chunking does not depend on how callers write
            for (int offset = 0; offset < plaintext.length; offset += 7777) {
                out.write(plaintext, offset, Math.min(7777, plaintext.length - offset));
            }
        }
        return stored.toByteArray();
    }

    static byte[] open(byte[] commonHeader, byte[] stored, Keyring keyring) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored));
        ObjectEncryption.Opening opening = ObjectEncryption.readHeaderExtension(ObjectEncryption.AES_256_GCM_STREAM_ID, in,
                commonHeader, keyring, "000000010000000000000001");
        try (InputStream plain = opening.decrypt(in)) {
            return plain.readAllBytes();
        }
    }

    private byte[] sealDefault(byte[] plaintext) throws IOException {
        return seal(ObjectEncryption.aesGcm(keyring, ObjectEncryption.RandomBytes.secure()), COMMON_HEADER, plaintext);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 16 << 20})
    void roundTripsAtChunkBoundaries(int size) throws IOException {
        byte[] plaintext = new byte[size];
        new Random(size).nextBytes(plaintext);
        byte[] stored = sealDefault(plaintext);
        int chunks = Math.max(1, (size + CHUNK - 1) / CHUNK); // the last chunk carries the final flag, even when full
        int extension = 1 + 2 + ObjectEncryption.WRAPPED_KEY_BYTES + StreamNonce.PREFIX_BYTES + 4;
        assertTrue(stored.length == extension + size + 16 * chunks, "one tag per chunk, final chunk always present");
        assertArrayEquals(plaintext, open(COMMON_HEADER, stored, keyring));
    }

    @Test
    void everyFlippedByteIsDetected() throws IOException {
        byte[] plaintext = new byte[2 * CHUNK + 100];
        new Random(7).nextBytes(plaintext);
        byte[] stored = sealDefault(plaintext);
        Random random = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            byte[] tampered = stored.clone();
            int position = trial < 100 ? trial : random.nextInt(tampered.length);
            tampered[position] ^= (byte) (1 + random.nextInt(255));
            assertThrows(IOException.class, () -> open(COMMON_HEADER, tampered, keyring), "byte " + position);
        }
    }

    @Test
    void truncationAnywhereIsDetected() throws IOException {
        byte[] plaintext = new byte[3 * CHUNK];
        byte[] stored = sealDefault(plaintext);
        int headerLength = stored.length - 3 * (CHUNK + 16);
        int[] cuts = {stored.length - 1, stored.length - 16, headerLength + (CHUNK + 16), headerLength + 2 * (CHUNK + 16),
            headerLength + 5, headerLength, 10, 0};
        for (int cut : cuts) {
            byte[] truncated = Arrays.copyOf(stored, cut);
            assertThrows(IOException.class, () -> open(COMMON_HEADER, truncated, keyring), "cut at " + cut);
        }
    }

    @Test
    void reorderedSplicedAndAppendedChunksAreDetected() throws IOException {
        byte[] plaintext = new byte[3 * CHUNK + 10];
        new Random(3).nextBytes(plaintext);
        byte[] stored = sealDefault(plaintext);
        int headerLength = stored.length - plaintext.length - 4 * 16;
        int sealedChunk = CHUNK + 16;

        byte[] swapped = stored.clone();
        System.arraycopy(stored, headerLength + sealedChunk, swapped, headerLength, sealedChunk);
        System.arraycopy(stored, headerLength, swapped, headerLength + sealedChunk, sealedChunk);
        DecryptionException reordered = assertThrows(DecryptionException.class, () -> open(COMMON_HEADER, swapped, keyring));
        assertTrue(reordered.getMessage().contains("chunk 0 failed authentication"), reordered.getMessage());

        byte[] dropped = new byte[stored.length - sealedChunk];
        System.arraycopy(stored, 0, dropped, 0, headerLength + sealedChunk);
        System.arraycopy(stored, headerLength + 2 * sealedChunk, dropped, headerLength + sealedChunk,
                stored.length - headerLength - 2 * sealedChunk);
        assertThrows(DecryptionException.class, () -> open(COMMON_HEADER, dropped, keyring));

        byte[] other = sealDefault(plaintext);
        byte[] spliced = stored.clone();
        System.arraycopy(other, headerLength + sealedChunk, spliced, headerLength + sealedChunk, sealedChunk);
        assertThrows(DecryptionException.class, () -> open(COMMON_HEADER, spliced, keyring));

        byte[] appended = Arrays.copyOf(stored, stored.length + 1);
        assertThrows(DecryptionException.class, () -> open(COMMON_HEADER, appended, keyring));
    }

    @Test
    void aDifferentNameOrKindInTheHeaderIsDetected() throws IOException {
        byte[] stored = sealDefault("payload".getBytes(StandardCharsets.US_ASCII));
        byte[] otherName = "WLDN-common-header-000000010000000000000002".getBytes(StandardCharsets.US_ASCII);
        DecryptionException e = assertThrows(DecryptionException.class, () -> open(otherName, stored, keyring));
        assertTrue(e.getMessage().contains("failed authentication"), e.getMessage());
    }

    @Test
    void wrongOrMissingKeysAreNamedWithoutKeyMaterial() throws IOException {
        byte[] stored = sealDefault(new byte[100]);
        DecryptionException wrong = assertThrows(DecryptionException.class, () -> open(COMMON_HEADER, stored, keyring("k1", 2)));
        assertTrue(wrong.getMessage().contains("data key (wrong key k1 or tampered header) failed authentication"), wrong.getMessage());
        DecryptionException unknown = assertThrows(DecryptionException.class, () -> open(COMMON_HEADER, stored, keyring("k2", 1)));
        assertTrue(unknown.getMessage().contains("encrypted with key k1, which the keyring does not have (it has k2)"), unknown.getMessage());
        DecryptionException none = assertThrows(DecryptionException.class, () -> open(COMMON_HEADER, stored, Keyring.EMPTY));
        assertTrue(none.getMessage().contains("no keyring is configured"), none.getMessage());
    }

    @Test
    void unknownSchemesAreRefused() {
        DecryptionException e = assertThrows(DecryptionException.class, () -> ObjectEncryption.readHeaderExtension(9,
                new DataInputStream(new ByteArrayInputStream(new byte[100])), COMMON_HEADER, keyring, "x"));
        assertTrue(e.getMessage().contains("unknown encryption scheme 9"), e.getMessage());
    }
}
