package dev.walden.agent.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * docs/encryption.md is the specification: its test vectors must come out of the code byte for byte, and an
 * independent decryption written only from the document must read what the code writes.
 */
class EncryptionSpecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void documentedTestVectorsMatchTheImplementation() throws Exception {
        for (String name : new String[] {"vector-1", "vector-2"}) {
            Map<String, String> vector = readVector(name);
            byte[] kek = HEX.parseHex(vector.get("kek"));
            String keyId = vector.get("key-id");
            byte[] randomBytes = HEX.parseHex(vector.get("data-key") + vector.get("wrap-nonce") + vector.get("nonce-prefix"));
            Keyring keyring = new Keyring(Map.of(keyId, kek), keyId);
            ByteBuffer random = ByteBuffer.wrap(randomBytes);
            ObjectEncryption encryption = ObjectEncryption.aesGcm(keyring, bytes -> random.get(bytes));
            byte[] header = HEX.parseHex(vector.get("common-header"));
            byte[] plaintext = HEX.parseHex(vector.get("plaintext"));
            byte[] stored = EncryptedStreamTest.seal(encryption, header, plaintext);
            String expected = vector.get("header-extension") + vector.get("payload");
            assertEquals(expected, HEX.formatHex(stored), name + ": regenerate docs/encryption.md only for a new format version");
            assertArrayEquals(plaintext, EncryptedStreamTest.open(header, stored, keyring), name);
            assertArrayEquals(plaintext, decryptFromTheSpec(kek, header, stored), name);
        }
    }

    @Test
    void anIndependentReaderOfTheSpecDecryptsMultiChunkObjects() throws Exception {
        byte[] kek = new byte[32];
        new Random(5).nextBytes(kek);
        Keyring keyring = new Keyring(Map.of("rot-2026", kek), "rot-2026");
        byte[] plaintext = new byte[ObjectEncryption.CHUNK_SIZE * 5 / 2];
        new Random(9).nextBytes(plaintext);
        byte[] header = "any common header".getBytes(StandardCharsets.US_ASCII);
        byte[] stored = EncryptedStreamTest.seal(ObjectEncryption.aesGcm(keyring, ObjectEncryption.RandomBytes.secure()), header, plaintext);
        assertArrayEquals(plaintext, decryptFromTheSpec(kek, header, stored));
    }

    /** Written from docs/encryption.md alone, with the JDK's AES-GCM: no code shared with the implementation. */
    private static byte[] decryptFromTheSpec(byte[] kek, byte[] commonHeader, byte[] stored) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(stored);
        int idLength = in.get() & 0xFF;
        byte[] keyId = new byte[idLength];
        in.get(keyId);
        byte[] wrapNonce = new byte[12];
        in.get(wrapNonce);
        byte[] wrappedKey = new byte[48];
        in.get(wrappedKey);
        byte[] prefix = new byte[7];
        in.get(prefix);
        int chunkSize = in.getInt();
        byte[] header = Arrays.copyOf(commonHeader, commonHeader.length + in.position());
        System.arraycopy(stored, 0, header, commonHeader.length, in.position());

        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, wrapNonce));
        gcm.updateAAD("walden-data-key-v1".getBytes(StandardCharsets.US_ASCII));
        gcm.updateAAD(keyId);
        byte[] dataKey = gcm.doFinal(wrappedKey);

        ByteArrayOutputStream plaintext = new ByteArrayOutputStream();
        for (int index = 0; ; index++) {
            int length = Math.min(chunkSize + 16, in.remaining());
            boolean last = length == in.remaining();
            byte[] nonce = ByteBuffer.allocate(12).put(prefix).putInt(index).put((byte) (last ? 1 : 0)).array();
            byte[] chunk = new byte[length];
            in.get(chunk);
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(128, nonce));
            gcm.updateAAD(header);
            plaintext.write(gcm.doFinal(chunk));
            if (last) {
                return plaintext.toByteArray();
            }
        }
    }

    /** Reads "name hex" lines between {@code <!-- NAME -->} and {@code <!-- /NAME -->} in docs/encryption.md. */
    private static Map<String, String> readVector(String name) throws Exception {
        String doc = Files.readString(Path.of(System.getProperty("walden.docs", "../docs"), "encryption.md"));
        int start = doc.indexOf("<!-- " + name + " -->");
        int end = doc.indexOf("<!-- /" + name + " -->");
        if (start < 0 || end < start) {
            throw new AssertionError("docs/encryption.md has no " + name);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        String key = null;
        for (String line : doc.substring(start, end).split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("<!--") || trimmed.startsWith("```")) {
                continue;
            }
            String[] parts = trimmed.split("\\s+", 2);
            if (line.startsWith(" ") && key != null) {
                fields.merge(key, trimmed.replace(" ", ""), String::concat); // continuation of a long hex value
                continue;
            }
            key = parts[0];
            fields.put(key, parts.length > 1 ? (key.equals("key-id") ? parts[1] : parts[1].replace(" ", "")) : "");
        }
        return fields;
    }
}
