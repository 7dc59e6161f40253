package dev.walden.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.ZstdCompressor;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.storage.LocalDirectoryStorage;
import dev.walden.agent.testing.TestSegments;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Push and fetch through a local repository: what goes in comes out, and bad input loses nothing. */
class ArchivePipelineTest {
    private static final String SEGMENT = "000000010000000000000003";
    private static final long SYSID = TestSegments.SYSTEM_ID;

    @TempDir
    Path dir;
    private Path dataDir;
    private Path restoreDir;
    private Path repoDir;
    private PushPipeline push;
    private FetchPipeline fetch;

    @BeforeEach
    void setUp() throws IOException {
        dataDir = dir.resolve("data");
        restoreDir = Files.createDirectories(dir.resolve("restore/pg_wal"));
        repoDir = dir.resolve("repo");
        Repository repository = new Repository(new LocalDirectoryStorage(repoDir));
        push = new PushPipeline(repository, new ZstdCompressor(3), ObjectEncryption.none(), Keyring.EMPTY);
        fetch = new FetchPipeline(repository, Keyring.EMPTY);
    }

    @Test
    void aPushedSegmentComesBackByteForByteAndSmaller() throws Exception {
        Path source = TestSegments.write(dataDir, SEGMENT, SYSID, 1);
        PushPipeline.Outcome pushed = push.push(WalFileName.parse(SEGMENT), source);
        assertFalse(pushed.alreadyArchived());
        assertTrue(pushed.storedBytes() < pushed.originalBytes() / 2, "compressed: " + pushed.storedBytes());

        Path destination = restoreDir.resolve("RECOVERYXLOG");
        FetchPipeline.Outcome fetched = fetch.fetch(WalFileName.parse(SEGMENT), destination);
        assertTrue(fetched.found());
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(destination));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(destination)));
        assertNoTemporaryFiles(restoreDir);
    }

    @Test
    void anIdenticalRepushSucceeds() throws Exception {
        Path source = TestSegments.write(dataDir, SEGMENT, SYSID, 1);
        push.push(WalFileName.parse(SEGMENT), source);
        assertTrue(push.push(WalFileName.parse(SEGMENT), source).alreadyArchived());
    }

    @Test
    void aDifferentFileUnderAnArchivedNameIsRefusedAndTheArchivedCopyKept() throws Exception {
        Path source = TestSegments.write(dataDir, SEGMENT, SYSID, 1);
        byte[] original = Files.readAllBytes(source);
        push.push(WalFileName.parse(SEGMENT), source);
        TestSegments.write(dataDir, SEGMENT, SYSID, 2);
        ConflictException e = assertThrows(ConflictException.class, () -> push.push(WalFileName.parse(SEGMENT), source));
        assertTrue(e.getMessage().contains("different file is already archived"), e.getMessage());
        assertArrayEquals(original, fetchBytes(SEGMENT));
    }

    @Test
    void aSegmentFromAnotherClusterIsRefused() throws Exception {
        push.push(WalFileName.parse(SEGMENT), TestSegments.write(dataDir, SEGMENT, SYSID, 1));
        Path foreign = TestSegments.write(dir.resolve("other"), "000000010000000000000004", 99L, 1);
        RejectedFileException e = assertThrows(RejectedFileException.class,
                () -> push.push(WalFileName.parse("000000010000000000000004"), foreign));
        assertTrue(e.getMessage().contains("belongs to database system 99"), e.getMessage());
        assertFalse(fetch.fetch(WalFileName.parse("000000010000000000000004"), restoreDir.resolve("x")).found());
    }

    @Test
    void aTruncatedSegmentIsRefusedAndNothingStored() throws Exception {
        Path source = TestSegments.write(dataDir, SEGMENT, SYSID, 1);
        byte[] whole = Files.readAllBytes(source);
        Files.write(source, java.util.Arrays.copyOf(whole, whole.length / 2));
        RejectedFileException e = assertThrows(RejectedFileException.class, () -> push.push(WalFileName.parse(SEGMENT), source));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(fetch.fetch(WalFileName.parse(SEGMENT), restoreDir.resolve("x")).found());
    }

    @Test
    void historyBackupAndPartialFilesRoundTrip() throws Exception {
        TestSegments.writeControlFile(dataDir, SYSID);
        Path walDir = dataDir.resolve("pg_wal");
        Files.createDirectories(walDir);
        Path history = Files.writeString(walDir.resolve("00000002.history"), "1\t0/3000150\tno recovery target specified\n");
        Path backup = Files.writeString(walDir.resolve("000000010000000000000002.00000028.backup"), BACKUP_HISTORY);
        Path partial = walDir.resolve("000000010000000000000005.partial");
        Files.write(partial, TestSegments.segment("000000010000000000000005", SYSID, 5));
        for (Path file : new Path[] {history, backup, partial}) {
            String name = file.getFileName().toString();
            push.push(WalFileName.parse(name), file);
            assertArrayEquals(Files.readAllBytes(file), fetchBytes(name), name);
        }
        assertTrue(Files.isRegularFile(repoDir.resolve(SYSID + "/wal/00000002/00000002.history")));
    }

    /** As PostgreSQL 15's pg_backup_stop writes it. */
    static final String BACKUP_HISTORY = """
            START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
            STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)
            CHECKPOINT LOCATION: 0/2000060
            BACKUP METHOD: streamed
            BACKUP FROM: primary
            START TIME: 2026-12-04 14:00:00 UTC
            LABEL: 20261204-140000F
            START TIMELINE: 1
            STOP TIME: 2026-12-04 14:00:01 UTC
            STOP TIMELINE: 1
            """;

    @Test
    void historyAndBackupFilesThatPostgresCouldNotHaveWrittenAreRefused() throws Exception {
        TestSegments.writeControlFile(dataDir, SYSID);
        Path walDir = Files.createDirectories(dataDir.resolve("pg_wal"));
        java.util.Map<String, String> hostile = new java.util.LinkedHashMap<>();
        hostile.put("00000002.history", "garbage line\n");
        hostile.put("00000003.history", "1\t0/3000150\treason\n1\t0/4000000\treason\n");   // parents must increase
        hostile.put("00000004.history", "5\t0/3000150\treason\n");                          // a parent above its child
        hostile.put("00000005.history", "# only a comment\n");
        hostile.put("00000006.history", "1\t0/5000000\tr\n2\t0/4000000\tr\n");              // switch point going back
        hostile.put("00000007.history", "1\tzz/00\tr\n");
        hostile.put("000000010000000000000002.00000028.backup", "garbage\n");
        hostile.put("000000010000000000000003.00000028.backup", BACKUP_HISTORY);                // names another segment
        hostile.put("000000010000000000000002.00000030.backup", BACKUP_HISTORY);                // another offset
        for (var file : hostile.entrySet()) {
            Path path = Files.writeString(walDir.resolve(file.getKey()), file.getValue());
            RejectedFileException e = assertThrows(RejectedFileException.class, () -> push.push(WalFileName.parse(file.getKey()), path),
                    file.getKey());
            assertFalse(e.getMessage().contains("Exception") || e.getMessage().contains("For input string"), e.getMessage());
            assertFalse(fetch.fetch(WalFileName.parse(file.getKey()), restoreDir.resolve("x")).found(), file.getKey());
        }
        Path good = Files.writeString(walDir.resolve("00000008.history"), "1\t0/3000150\tno recovery target specified\n"
                + "\n3\t0/5000000\tat restore point \"x\"\n");
        push.push(WalFileName.parse("00000008.history"), good);
    }

    @Test
    void aNewerMajorsSegmentIsArchivedWhenTheRestOfItsHeaderConvinces() throws Exception {
        Path file = TestSegments.write(dataDir, SEGMENT, SYSID, 1);
        byte[] bytes = Files.readAllBytes(file);
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder()).putShort(0, (short) 0xD11A);  // PostgreSQL 19, say
        Files.write(file, bytes);
        PushPipeline.Outcome outcome = push.push(WalFileName.parse(SEGMENT), file);
        assertEquals(0xD11A, outcome.newerMajorMagic());
        assertArrayEquals(bytes, fetchBytes(SEGMENT));
        // Known majors report none; garbage and an older unknown magic are refused as before.
        String next = "000000010000000000000002";
        assertEquals(0, push.push(WalFileName.parse(next), TestSegments.write(dataDir, next, SYSID, 2)).newerMajorMagic());
        for (int magic : new int[] {0x1234, 0xD0FF, 0xD102, 0xE118}) {
            String name = "000000010000000000000003";
            Path other = TestSegments.write(dataDir, name, SYSID, 3);
            byte[] changed = Files.readAllBytes(other);
            java.nio.ByteBuffer.wrap(changed).order(java.nio.ByteOrder.nativeOrder()).putShort(0, (short) magic);
            Files.write(other, changed);
            RejectedFileException e = assertThrows(RejectedFileException.class, () -> push.push(WalFileName.parse(name), other),
                    Integer.toHexString(magic));
            assertTrue(e.getMessage().contains("page magic"), e.getMessage());
        }
        // Another cluster's: refused even with a newer magic.
        Path foreign = dir.resolve("foreign");
        TestSegments.writeControlFile(foreign, SYSID);
        Files.createDirectories(foreign.resolve("pg_wal"));
        byte[] theirs = TestSegments.segment("000000010000000000000004", 99L, 4);
        java.nio.ByteBuffer.wrap(theirs).order(java.nio.ByteOrder.nativeOrder()).putShort(0, (short) 0xD11A);
        Path theirFile = Files.write(foreign.resolve("pg_wal/000000010000000000000004"), theirs);
        assertThrows(RejectedFileException.class, () -> push.push(WalFileName.parse("000000010000000000000004"), theirFile));
    }

    @Test
    void aSymbolicLinkIsNeverArchived() throws Exception {
        TestSegments.writeControlFile(dataDir, SYSID);
        Path walDir = Files.createDirectories(dataDir.resolve("pg_wal"));
        Path secret = Files.writeString(dir.resolve("keyring"), "1\t0/3000150\treason\n");
        Path link = Files.createSymbolicLink(walDir.resolve("0000000A.history"), secret);
        RejectedFileException e = assertThrows(RejectedFileException.class, () -> push.push(WalFileName.parse("0000000A.history"), link));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        Path segmentLink = Files.createSymbolicLink(walDir.resolve(SEGMENT), TestSegments.write(dir, SEGMENT, SYSID, 1));
        assertThrows(RejectedFileException.class, () -> push.push(WalFileName.parse(SEGMENT), segmentLink));
    }

    @Test
    void aHistoryFileFromAnotherClustersDataDirectoryIsRefused() throws Exception {
        push.push(WalFileName.parse(SEGMENT), TestSegments.write(dataDir, SEGMENT, SYSID, 1));
        Path other = dir.resolve("other");
        TestSegments.writeControlFile(other, 5L);
        Files.createDirectories(other.resolve("pg_wal"));
        Path history = Files.writeString(other.resolve("pg_wal/00000002.history"), "1\t0/3000150\treason\n");
        assertThrows(RejectedFileException.class, () -> push.push(WalFileName.parse("00000002.history"), history));
    }

    @Test
    void missingFilesAreNotFound() throws Exception {
        assertFalse(fetch.fetch(WalFileName.parse(SEGMENT), restoreDir.resolve("RECOVERYXLOG")).found(), "empty repository");
        push.push(WalFileName.parse(SEGMENT), TestSegments.write(dataDir, SEGMENT, SYSID, 1));
        assertFalse(fetch.fetch(WalFileName.parse("00000002.history"), restoreDir.resolve("RECOVERYHISTORY")).found());
        assertFalse(Files.exists(restoreDir.resolve("RECOVERYHISTORY")));
    }

    @Test
    void aCorruptObjectIsUnreadableAndNothingIsWritten() throws Exception {
        push.push(WalFileName.parse(SEGMENT), TestSegments.write(dataDir, SEGMENT, SYSID, 1));
        Path object = repoDir.resolve(SYSID + "/wal/00000001/" + SEGMENT);
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(object, bytes);
        assertUnreadable(SEGMENT);
    }

    @Test
    void aTruncatedObjectIsUnreadable() throws Exception {
        push.push(WalFileName.parse(SEGMENT), TestSegments.write(dataDir, SEGMENT, SYSID, 1));
        Path object = repoDir.resolve(SYSID + "/wal/00000001/" + SEGMENT);
        byte[] bytes = Files.readAllBytes(object);
        for (int cut : new int[] {bytes.length - 1, bytes.length - 44, bytes.length / 2, 7}) {
            Files.write(object, java.util.Arrays.copyOf(bytes, cut));
            assertUnreadable(SEGMENT);
        }
    }

    @Test
    void anObjectCopiedOverAnotherNameIsUnreadable() throws Exception {
        push.push(WalFileName.parse(SEGMENT), TestSegments.write(dataDir, SEGMENT, SYSID, 1));
        Path object = repoDir.resolve(SYSID + "/wal/00000001/" + SEGMENT);
        Files.copy(object, repoDir.resolve(SYSID + "/wal/00000001/000000010000000000000004"));
        CorruptObjectException e = assertUnreadable("000000010000000000000004");
        assertTrue(e.getMessage().contains("copied over another name"), e.getMessage());
    }

    @Test
    void objectHeaderIsAsDocumented() throws Exception {
        push.push(WalFileName.parse(SEGMENT), TestSegments.write(dataDir, SEGMENT, SYSID, 1));
        byte[] bytes = Files.readAllBytes(repoDir.resolve(SYSID + "/wal/00000001/" + SEGMENT));
        assertEquals("WLDN", new String(bytes, 0, 4, StandardCharsets.US_ASCII));
        assertArrayEquals(new byte[] {2, 1, 1, 0, 0, 24}, java.util.Arrays.copyOfRange(bytes, 4, 10));
        assertEquals(SEGMENT, new String(bytes, 10, 24, StandardCharsets.US_ASCII));
        assertEquals("WEND", new String(bytes, bytes.length - 4, 4, StandardCharsets.US_ASCII));
        assertEquals("walden-repository-format 1\nsystem-identifier " + SYSID + "\nencryption none\n",
                Files.readString(repoDir.resolve("walden.repository")));
    }

    /** Objects written by format version 1 (SHA-256 trailer) stay readable and are recognised on re-push. */
    @Test
    void version1ObjectsAreStillReadAndVerified() throws Exception {
        push.push(WalFileName.parse(SEGMENT), TestSegments.write(dataDir, SEGMENT, SYSID, 1));  // creates the record
        String old = "000000010000000000000004";
        Path source = TestSegments.write(dataDir, old, SYSID, 4);
        byte[] original = Files.readAllBytes(source);
        Path object = repoDir.resolve(SYSID + "/wal/00000001/" + old);
        Files.write(object, version1Object(old, original));
        assertArrayEquals(original, fetchBytes(old));
        assertTrue(push.push(WalFileName.parse(old), source).alreadyArchived());

        byte[] damaged = version1Object(old, original);
        damaged[damaged.length - 10] ^= 1;  // inside the SHA-256
        Files.write(object, damaged);
        CorruptObjectException e = assertUnreadable(old);
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    }

    /** Built from docs/format.md's description of version 1: uncompressed body in 1 MiB chunks, SHA-256 trailer. */
    private static byte[] version1Object(String name, byte[] original) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream data = new java.io.DataOutputStream(out);
        data.write("WLDN".getBytes(StandardCharsets.US_ASCII));
        data.write(new byte[] {1, 1, 0, 0});  // version 1, segment, no compression, no encryption
        data.writeShort(name.length());
        data.write(name.getBytes(StandardCharsets.US_ASCII));
        for (int offset = 0; offset < original.length; offset += 1 << 20) {
            int length = Math.min(1 << 20, original.length - offset);
            data.writeInt(length);
            data.write(original, offset, length);
        }
        data.writeInt(0);
        data.writeLong(original.length);
        data.write(java.security.MessageDigest.getInstance("SHA-256").digest(original));
        data.write("WEND".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private CorruptObjectException assertUnreadable(String name) throws IOException {
        Path destination = restoreDir.resolve("RECOVERYXLOG");
        Files.deleteIfExists(destination);
        CorruptObjectException e = assertThrows(CorruptObjectException.class, () -> fetch.fetch(WalFileName.parse(name), destination));
        assertFalse(Files.exists(destination), "nothing at %p");
        assertNoTemporaryFiles(restoreDir);
        return e;
    }

    private byte[] fetchBytes(String name) throws Exception {
        Path destination = restoreDir.resolve("RECOVERY-" + name);
        assertTrue(fetch.fetch(WalFileName.parse(name), destination).found());
        return Files.readAllBytes(destination);
    }

    private static void assertNoTemporaryFiles(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(0, files.filter(f -> f.getFileName().toString().startsWith(".")).count());
        }
    }
}
