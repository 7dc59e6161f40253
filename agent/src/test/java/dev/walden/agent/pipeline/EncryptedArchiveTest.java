package dev.walden.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.ZstdCompressor;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.storage.LocalDirectoryStorage;
import dev.walden.agent.testing.TestSegments;
import dev.walden.agent.wal.WalFileName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Push and fetch with encryption on: the bucket holds no plaintext, and every bad object is refused whole. */
class EncryptedArchiveTest {
    private static final String SEGMENT = "000000010000000000000003";
    private static final long SYSID = TestSegments.SYSTEM_ID;

    @TempDir
    Path dir;
    private Path keyringFile;
    private Path repoDir;
    private Path restoreDir;

    @BeforeEach
    void setUp() throws Exception {
        keyringFile = dir.resolve("keyring");
        KeyringFile.addKey(keyringFile, Optional.of("k1"), true, false, new SecureRandom());
        repoDir = dir.resolve("repo");
        restoreDir = Files.createDirectories(dir.resolve("restore"));
    }

    private Keyring keyring() throws Exception {
        return KeyringFile.load(keyringFile, Optional.empty());
    }

    private PushPipeline push(Keyring keyring) throws Exception {
        return new PushPipeline(new Repository(new LocalDirectoryStorage(repoDir)), new ZstdCompressor(3),
                ObjectEncryption.aesGcm(keyring, ObjectEncryption.RandomBytes.secure()), keyring);
    }

    private FetchPipeline fetch(Keyring keyring) throws Exception {
        return new FetchPipeline(new Repository(new LocalDirectoryStorage(repoDir)), keyring);
    }

    private Path object(String name) {
        return repoDir.resolve(SYSID + "/wal/" + name.substring(0, 8) + "/" + name);
    }

    @Test
    void encryptedSegmentsRoundTripAndHoldNoPlaintext() throws Exception {
        Path history = dir.resolve("data/pg_wal/00000002.history");
        Path source = TestSegments.write(dir.resolve("data"), SEGMENT, SYSID, 1);
        Files.writeString(history, "1\t0/3000150\tsecret-looking reason text\n");
        PushPipeline push = push(keyring());
        push.push(WalFileName.parse(SEGMENT), source);
        push.push(WalFileName.parse("00000002.history"), history);
        assertFalse(new String(Files.readAllBytes(object("00000002.history")), StandardCharsets.ISO_8859_1).contains("secret-looking"));
        assertTrue(push.push(WalFileName.parse(SEGMENT), source).alreadyArchived(), "identical re-push recognised by decrypting");

        Path destination = restoreDir.resolve("RECOVERYXLOG");
        assertTrue(fetch(keyring()).fetch(WalFileName.parse(SEGMENT), destination).found());
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(destination));
    }

    @Test
    void aDifferentFileUnderAnEncryptedNameIsAConflict() throws Exception {
        Path source = TestSegments.write(dir.resolve("data"), SEGMENT, SYSID, 1);
        push(keyring()).push(WalFileName.parse(SEGMENT), source);
        TestSegments.write(dir.resolve("data"), SEGMENT, SYSID, 2);
        assertThrows(ConflictException.class, () -> push(keyring()).push(WalFileName.parse(SEGMENT), source));
    }

    @Test
    void objectsWrittenBeforeARotationStayReadable() throws Exception {
        Path first = TestSegments.write(dir.resolve("data"), SEGMENT, SYSID, 1);
        push(keyring()).push(WalFileName.parse(SEGMENT), first);
        KeyringFile.addKey(keyringFile, Optional.of("k2"), true, false, new SecureRandom());
        Path second = TestSegments.write(dir.resolve("data"), "000000010000000000000004", SYSID, 2);
        push(keyring()).push(WalFileName.parse("000000010000000000000004"), second);
        assertTrue(new String(Files.readAllBytes(object("000000010000000000000004")), 0, 60, StandardCharsets.ISO_8859_1).contains("k2"));

        FetchPipeline fetch = fetch(keyring());
        for (Path original : new Path[] {first, second}) {
            String name = original.getFileName().toString();
            Path destination = restoreDir.resolve(name);
            assertTrue(fetch.fetch(WalFileName.parse(name), destination).found());
            assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(destination));
        }
    }

    @Test
    void wrongKeysTamperingTruncationAndMovesAreUnreadableAndWriteNothing() throws Exception {
        push(keyring()).push(WalFileName.parse(SEGMENT), TestSegments.write(dir.resolve("data"), SEGMENT, SYSID, 1));
        byte[] stored = Files.readAllBytes(object(SEGMENT));

        Path otherKeyring = dir.resolve("other-keyring");
        KeyringFile.addKey(otherKeyring, Optional.of("k1"), true, false, new SecureRandom());
        assertUnreadable(fetch(KeyringFile.load(otherKeyring, Optional.empty())), SEGMENT, "wrong key k1");
        assertUnreadable(fetch(Keyring.EMPTY), SEGMENT, "no keyring is configured");

        byte[] tampered = stored.clone();
        tampered[stored.length - 1000] ^= 0x01;
        Files.write(object(SEGMENT), tampered);
        assertUnreadable(fetch(keyring()), SEGMENT, "failed authentication");

        Files.write(object(SEGMENT), java.util.Arrays.copyOf(stored, stored.length - 17));
        assertUnreadable(fetch(keyring()), SEGMENT, "failed authentication");

        Files.write(object(SEGMENT), stored);
        Files.copy(object(SEGMENT), object("000000010000000000000009"));
        assertUnreadable(fetch(keyring()), "000000010000000000000009", "copied over another name");

        byte[] unknownVersion = stored.clone();
        unknownVersion[4] = 3;
        Files.write(object(SEGMENT), unknownVersion);
        assertUnreadable(fetch(keyring()), SEGMENT, "format version 3");

        byte[] downgraded = stored.clone();
        downgraded[4] = 1;  // the version is in every chunk's associated data: no reading it with v1's trailer
        Files.write(object(SEGMENT), downgraded);
        assertUnreadable(fetch(keyring()), SEGMENT, "failed authentication");
    }

    @Test
    void aRepositoryIsNeverHalfEncrypted() throws Exception {
        Path source = TestSegments.write(dir.resolve("data"), SEGMENT, SYSID, 1);
        push(keyring()).push(WalFileName.parse(SEGMENT), source);
        Repository repository = new Repository(new LocalDirectoryStorage(repoDir));
        RepositoryFormatException e = assertThrows(RepositoryFormatException.class, () -> repository.checkEncryption("none"));
        assertTrue(e.getMessage().contains("written with encryption aes-256-gcm but this agent is configured for none"), e.getMessage());
        PushPipeline plain = new PushPipeline(repository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
        assertThrows(RepositoryFormatException.class,
                () -> plain.push(WalFileName.parse("000000010000000000000004"),
                        TestSegments.write(dir.resolve("data"), "000000010000000000000004", SYSID, 2)));
        assertFalse(Files.exists(object("000000010000000000000004")));
    }

    private void assertUnreadable(FetchPipeline fetch, String name, String reason) throws Exception {
        Path destination = restoreDir.resolve("RECOVERYXLOG");
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> fetch.fetch(WalFileName.parse(name), destination));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertFalse(Files.exists(destination), "nothing written at %p");
        try (var files = Files.list(restoreDir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".")), "no temporary files left");
        }
    }
}
