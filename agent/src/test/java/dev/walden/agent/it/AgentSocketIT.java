package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.TestSegments;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Status;
import dev.walden.protocol.WireFormat;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client and a running agent over the real socket, with every kind of bad input from the issue. */
class AgentSocketIT {
    private static final String SEGMENT = "000000010000000000000007";

    @TempDir
    Path dir;
    private RunningAgent agent;
    private Path dataDir;
    private Path restoreDir;

    @BeforeEach
    void start() throws Exception {
        agent = RunningAgent.start(dir.resolve("agent"), Map.of());
        dataDir = dir.resolve("data");
        restoreDir = Files.createDirectories(dir.resolve("restore"));
        Files.createDirectories(restoreDir.resolve("pg_wal"));
    }

    @AfterEach
    void stop() throws IOException {
        agent.close();
    }

    @Test
    void pushThenFetchThroughTheClient() throws Exception {
        Path segment = TestSegments.write(dataDir, SEGMENT, TestSegments.SYSTEM_ID, 1);
        assertEquals(0, agent.client(dataDir, "push", "pg_wal/" + SEGMENT, SEGMENT).exitCode());
        assertEquals(0, agent.client(dataDir, "push", "pg_wal/" + SEGMENT, SEGMENT).exitCode(), "identical re-push");
        RunningAgent.ClientRun fetched = agent.client(restoreDir, "fetch", SEGMENT, "pg_wal/RECOVERYXLOG");
        assertEquals(0, fetched.exitCode(), fetched.stderr());
        assertArrayEquals(Files.readAllBytes(segment), Files.readAllBytes(restoreDir.resolve("pg_wal/RECOVERYXLOG")));
        assertEquals(0, agent.client(dir, "ping").exitCode());
    }

    @Test
    void aMissingFileIsExitOneWithOneLine() {
        RunningAgent.ClientRun run = agent.client(restoreDir, "fetch", "00000002.history", "pg_wal/RECOVERYHISTORY");
        assertEquals(1, run.exitCode());
        assertEquals("walden: 00000002.history is not in the archive", run.stderr().strip());
    }

    @Test
    void pathTraversalNamesAreRefusedAndTouchNothing() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "keep me");
        RunningAgent.ClientRun push = agent.client(dataDir, "push", "../victim", "../victim");
        assertEquals(1, push.exitCode());
        assertTrue(push.stderr().contains("is not a WAL segment"), push.stderr());
        RunningAgent.ClientRun fetch = agent.client(restoreDir, "fetch", "../../victim", "pg_wal/RECOVERYXLOG");
        assertEquals(126, fetch.exitCode(), "a request walden cannot make sense of must stop recovery");
        assertEquals("keep me", Files.readString(victim));
        assertTrue(listRepository().isEmpty());
    }

    @Test
    void aSourceThatIsNotPercentPForPercentFIsRefused() throws Exception {
        TestSegments.write(dataDir, SEGMENT, TestSegments.SYSTEM_ID, 1);
        RunningAgent.ClientRun run = agent.client(dataDir, "push", "pg_wal/" + SEGMENT, "000000010000000000000008");
        assertEquals(1, run.exitCode());
        assertTrue(run.stderr().contains("is not a file named 000000010000000000000008"), run.stderr());
    }

    @Test
    void garbageFramesGetAnErrorReplyAndTheAgentKeepsServing() throws Exception {
        for (String garbage : new String[] {
                "00 00 00 08 de ad be ef 00 11 22 33",   // bad magic
                "7f ff ff ff 00",                         // absurd length
                "00 00 00 04 57 4c 07 01",                // unknown version
                "00 00 00 06 57 4c 01 01 00 09"}) {       // truncated string
            Reply reply = exchangeRaw(HexFormat.ofDelimiter(" ").parseHex(garbage));
            assertEquals(Status.INVALID_REQUEST, reply.status(), garbage);
            assertTrue(reply.message().startsWith("malformed request"), reply.message());
        }
        assertEquals(0, agent.client(dir, "ping").exitCode());
    }

    @Test
    void aTruncatedSegmentIsRefusedAndNotStored() throws Exception {
        Path segment = TestSegments.write(dataDir, SEGMENT, TestSegments.SYSTEM_ID, 1);
        byte[] bytes = Files.readAllBytes(segment);
        Files.write(segment, java.util.Arrays.copyOf(bytes, 1 << 20));
        RunningAgent.ClientRun run = agent.client(dataDir, "push", "pg_wal/" + SEGMENT, SEGMENT);
        assertEquals(1, run.exitCode());
        assertTrue(run.stderr().contains("truncated"), run.stderr());
        assertTrue(listRepository().stream().noneMatch(p -> p.endsWith(SEGMENT)));
    }

    @Test
    void anotherClustersSegmentIsRefusedAndTheArchiveKept() throws Exception {
        Path ours = TestSegments.write(dataDir, SEGMENT, TestSegments.SYSTEM_ID, 1);
        assertEquals(0, agent.client(dataDir, "push", "pg_wal/" + SEGMENT, SEGMENT).exitCode());
        Path otherData = dir.resolve("other");
        TestSegments.write(otherData, SEGMENT, 1234L, 2);
        RunningAgent.ClientRun run = agent.client(otherData, "push", "pg_wal/" + SEGMENT, SEGMENT);
        assertEquals(1, run.exitCode());
        assertTrue(run.stderr().contains("belongs to database system 1234"), run.stderr());
        assertEquals(0, agent.client(restoreDir, "fetch", SEGMENT, "pg_wal/RECOVERYXLOG").exitCode());
        assertArrayEquals(Files.readAllBytes(ours), Files.readAllBytes(restoreDir.resolve("pg_wal/RECOVERYXLOG")));
    }

    @Test
    void aDifferentFileUnderAnArchivedNameFailsAndTheArchivedCopyIsKept() throws Exception {
        Path segment = TestSegments.write(dataDir, SEGMENT, TestSegments.SYSTEM_ID, 1);
        byte[] original = Files.readAllBytes(segment);
        assertEquals(0, agent.client(dataDir, "push", "pg_wal/" + SEGMENT, SEGMENT).exitCode());
        TestSegments.write(dataDir, SEGMENT, TestSegments.SYSTEM_ID, 2);
        RunningAgent.ClientRun run = agent.client(dataDir, "push", "pg_wal/" + SEGMENT, SEGMENT);
        assertEquals(1, run.exitCode());
        assertTrue(run.stderr().contains("different file is already archived"), run.stderr());
        assertEquals(0, agent.client(restoreDir, "fetch", SEGMENT, "pg_wal/RECOVERYXLOG").exitCode());
        assertArrayEquals(original, Files.readAllBytes(restoreDir.resolve("pg_wal/RECOVERYXLOG")));
    }

    @Test
    void aCorruptStoredObjectStopsRecoveryAndWritesNothing() throws Exception {
        TestSegments.write(dataDir, SEGMENT, TestSegments.SYSTEM_ID, 1);
        assertEquals(0, agent.client(dataDir, "push", "pg_wal/" + SEGMENT, SEGMENT).exitCode());
        Path object = listRepository().stream().filter(p -> p.endsWith(SEGMENT)).findFirst().orElseThrow();
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 3] ^= 1;
        Files.write(object, bytes);
        RunningAgent.ClientRun run = agent.client(restoreDir, "fetch", SEGMENT, "pg_wal/RECOVERYXLOG");
        assertEquals(126, run.exitCode());
        assertTrue(run.stderr().contains("cannot be read"), run.stderr());
        assertFalse(Files.exists(restoreDir.resolve("pg_wal/RECOVERYXLOG")));
    }

    private Reply exchangeRaw(byte[] bytes) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(agent.socket()));
            channel.write(ByteBuffer.wrap(bytes));
            ByteBuffer length = ByteBuffer.allocate(4);
            while (length.hasRemaining() && channel.read(length) >= 0) {
                // read the reply's length field
            }
            ByteBuffer body = ByteBuffer.allocate(WireFormat.checkFrameLength(length.flip().getInt()));
            while (body.hasRemaining() && channel.read(body) >= 0) {
                // read the reply body
            }
            Reply reply = WireFormat.decodeReply(body.flip());
            assertEquals(-1, channel.read(ByteBuffer.allocate(1)), "the agent closes the connection after a malformed frame");
            return reply;
        }
    }

    private java.util.List<Path> listRepository() throws IOException {
        try (Stream<Path> files = Files.walk(agent.repository())) {
            return files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("walden.repository")).toList();
        }
    }
}
