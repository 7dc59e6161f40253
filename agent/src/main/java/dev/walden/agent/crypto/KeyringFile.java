package dev.walden.agent.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import dev.walden.agent.config.SecretFile;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The keyring file, format 1 (see docs/encryption.md):
 *
 * <pre>
 * walden-keyring 1
 * key ID aes256 BASE64(32 random bytes)
 * key ID argon2id BASE64(16-byte salt) m=KIB t=ITERATIONS p=PARALLELISM     (key derived from the passphrase file)
 * active ID
 * </pre>
 *
 * Refused when group- or world-accessible, like ssh refuses a private key.
 */
public final class KeyringFile {
    static final String MAGIC = "walden-keyring 1";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    private static final Set<PosixFilePermission> PRIVATE = SecretFile.privateMode();
    static final int ARGON2_MEMORY_KIB = 64 * 1024;
    static final int ARGON2_ITERATIONS = 3;
    static final int ARGON2_PARALLELISM = 1;

    private KeyringFile() {}

    /**
     * Loads a keyring.
     *
     * @param passphraseFile where argon2id keys get their passphrase; empty when none is configured
     */
    public static Keyring load(Path file, Optional<Path> passphraseFile) throws KeyringException {
        List<String> lines = readPrivate(file, "keyring");
        if (lines.isEmpty() || !lines.get(0).strip().equals(MAGIC)) {
            throw new KeyringException("keyring " + file + " does not start with '" + MAGIC + "'");
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        String active = null;
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "keyring " + file + " line " + (i + 1);
            String[] fields = line.split("\\s+");
            switch (fields[0]) {
                case "key" -> {
                    if (fields.length < 4 || !ID.matcher(fields[1]).matches()) {
                        throw new KeyringException(where + ": expected 'key ID aes256 BASE64' or 'key ID argon2id SALT m=.. t=.. p=..'");
                    }
                    if (keys.containsKey(fields[1])) {
                        throw new KeyringException(where + ": key id " + fields[1] + " appears twice");
                    }
                    keys.put(fields[1], switch (fields[2]) {
                        case "aes256" -> decodeKey(fields[3], where);
                        case "argon2id" -> deriveFromPassphrase(fields, passphraseFile, where);
                        default -> throw new KeyringException(where + ": unknown key type '" + fields[2] + "' (aes256 or argon2id)");
                    });
                }
                case "active" -> {
                    if (fields.length != 2) {
                        throw new KeyringException(where + ": expected 'active ID'");
                    }
                    active = fields[1];
                }
                default -> throw new KeyringException(where + ": unknown line '" + fields[0] + " ...'");
            }
        }
        if (active == null || !keys.containsKey(active)) {
            throw new KeyringException("keyring " + file + " must name one of its keys with 'active ID'"
                    + (keys.isEmpty() ? " (it has no keys: walden-agent keygen --keyring " + file + ")" : ""));
        }
        return new Keyring(keys, active);
    }

    /**
     * Adds a key and, if {@code activate}, makes it the active one; creates the keyring (mode 0600) if absent.
     * The file is replaced atomically, so an interrupted keygen leaves the old keyring intact.
     *
     * @param passphraseDerived derive the key from the passphrase file with Argon2id instead of storing random bytes
     * @return the new key's id
     */
    public static String addKey(Path file, Optional<String> requestedId, boolean activate, boolean passphraseDerived,
                                SecureRandom random) throws KeyringException, IOException {
        List<String> lines = new ArrayList<>();
        boolean exists = Files.exists(file);
        if (exists) {
            lines.addAll(readPrivate(file, "keyring"));
        } else {
            lines.add(MAGIC);
            lines.add("# Walden keyring: key-encryption keys. Keep it secret (mode 0600) and back it up apart from the repository:");
            lines.add("# without it nothing encrypted can be restored. All keys decrypt; the active one encrypts new objects.");
        }
        String id = requestedId.orElseGet(() -> "k" + LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.BASIC_ISO_DATE)
                + "-" + HexFormat.of().toHexDigits((short) random.nextInt()));
        if (!ID.matcher(id).matches()) {
            throw new KeyringException("key id '" + id + "' must be 1-32 characters of A-Z a-z 0-9 _ -");
        }
        for (String line : lines) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length > 1 && fields[0].equals("key") && fields[1].equals(id)) {
                throw new KeyringException("keyring " + file + " already has a key " + id);
            }
        }
        String keyLine;
        if (passphraseDerived) {
            byte[] salt = new byte[16];
            random.nextBytes(salt);
            keyLine = "key " + id + " argon2id " + Base64.getEncoder().encodeToString(salt)
                    + " m=" + ARGON2_MEMORY_KIB + " t=" + ARGON2_ITERATIONS + " p=" + ARGON2_PARALLELISM;
        } else {
            byte[] key = new byte[AesGcm.KEY_BYTES];
            random.nextBytes(key);
            keyLine = "key " + id + " aes256 " + Base64.getEncoder().encodeToString(key);
        }
        int activeLine = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().startsWith("active ")) {
                activeLine = i;
            }
        }
        if (activeLine >= 0) {
            lines.add(activeLine, keyLine);
            activeLine++;
        } else {
            lines.add(keyLine);
        }
        if (activate || activeLine < 0) {
            if (activeLine >= 0) {
                lines.set(activeLine, "active " + id);
            } else {
                lines.add("active " + id);
            }
        }
        writePrivate(file, String.join("\n", lines) + "\n");
        return id;
    }

    /**
     * Checks a passphrase file as the agent will at start-up: private, in a private directory, at least 12 characters;
     * so that {@code keygen --passphrase} never adds a key the agent then cannot derive.
     */
    public static void checkPassphraseFile(Path file) throws KeyringException {
        List<String> lines = readPrivate(file, "passphrase file");
        if (lines.isEmpty() || lines.get(0).length() < 12) {
            throw new KeyringException("passphrase in " + file + " is shorter than 12 characters");
        }
    }

    /** Reads a secret file, refusing it when anyone but its owner may read or write it. */
    static List<String> readPrivate(Path file, String what) throws KeyringException {
        if (!Files.exists(file)) {
            throw new KeyringException(what + " " + file + " does not exist. HINT: walden-agent keygen --keyring " + file);
        }
        try {
            return SecretFile.readLines(file, what);
        } catch (IOException e) {
            throw new KeyringException(e.getMessage());
        }
    }

    private static void writePrivate(Path file, String content) throws IOException {
        Path directory = file.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(directory, ".keyring-", ".tmp", PosixFilePermissions.asFileAttribute(PRIVATE));
        try {
            Files.writeString(temp, content, StandardCharsets.UTF_8);
            try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            dev.walden.agent.storage.DurableFiles.fsyncDirectory(directory);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static byte[] decodeKey(String text, String where) throws KeyringException {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new KeyringException(where + ": key is not valid base64");
        }
        if (key.length != AesGcm.KEY_BYTES) {
            throw new KeyringException(where + ": key is " + key.length + " bytes, AES-256 needs " + AesGcm.KEY_BYTES);
        }
        return key;
    }

    private static byte[] deriveFromPassphrase(String[] fields, Optional<Path> passphraseFile, String where) throws KeyringException {
        if (passphraseFile.isEmpty()) {
            throw new KeyringException(where + ": an argon2id key needs the keyring-passphrase-file option");
        }
        if (fields.length != 7) {
            throw new KeyringException(where + ": expected 'key ID argon2id SALT m=KIB t=N p=N'");
        }
        byte[] salt;
        try {
            salt = Base64.getDecoder().decode(fields[3]);
        } catch (IllegalArgumentException e) {
            throw new KeyringException(where + ": salt is not valid base64");
        }
        int memory = parameter(fields[4], "m", where, 8 * 1024, 4 * 1024 * 1024);
        int iterations = parameter(fields[5], "t", where, 1, 100);
        int parallelism = parameter(fields[6], "p", where, 1, 64);
        List<String> passphraseLines = readPrivate(passphraseFile.get(), "passphrase file");
        String passphrase = passphraseLines.isEmpty() ? "" : passphraseLines.get(0);
        if (passphrase.length() < 12) {
            throw new KeyringException("passphrase in " + passphraseFile.get() + " is shorter than 12 characters");
        }
        return argon2id(passphrase.getBytes(StandardCharsets.UTF_8), salt, memory, iterations, parallelism);
    }

    static byte[] argon2id(byte[] passphrase, byte[] salt, int memoryKib, int iterations, int parallelism) {
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withSalt(salt)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .build());
        byte[] key = new byte[AesGcm.KEY_BYTES];
        generator.generateBytes(passphrase, key);
        return key;
    }

    private static int parameter(String field, String name, String where, int min, int max) throws KeyringException {
        if (!field.startsWith(name + "=")) {
            throw new KeyringException(where + ": expected " + name + "=N, got '" + field + "'");
        }
        try {
            int value = Integer.parseInt(field.substring(name.length() + 1));
            if (value < min || value > max) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new KeyringException(where + ": " + name + " must be between " + min + " and " + max);
        }
    }
}
