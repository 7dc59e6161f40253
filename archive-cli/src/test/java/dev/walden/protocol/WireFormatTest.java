package dev.walden.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Golden bytes: these exact frames are in docs/protocol.md. Changing them breaks deployed clients. */
class WireFormatTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    @Test
    void pushFrameMatchesTheDocumentedBytes() {
        assertEquals("00 00 00 0b 57 4c 01 01 00 01 41 00 02 2f 62", hex(WireFormat.encodeRequest(new Request.Push("A", "/b"))));
    }

    @Test
    void fetchFrameMatchesTheDocumentedBytes() {
        assertEquals("00 00 00 0b 57 4c 01 02 00 01 41 00 02 2f 62", hex(WireFormat.encodeRequest(new Request.Fetch("A", "/b"))));
    }

    @Test
    void pingFrameMatchesTheDocumentedBytes() {
        assertEquals("00 00 00 04 57 4c 01 03", hex(WireFormat.encodeRequest(new Request.Ping())));
    }

    @Test
    void replyFrameMatchesTheDocumentedBytes() {
        assertEquals("00 00 00 09 57 4c 01 80 01 00 02 6e 6f", hex(WireFormat.encodeReply(new Reply(Status.NOT_FOUND, "no"))));
    }

    @Test
    void commandFramesMatchTheDocumentedBytes() {
        assertEquals("00 00 00 15 57 4c 01 04 00 01 2f 00 01 77 00 00 01 00 06 62 61 63 6b 75 70",
                hex(WireFormat.encodeRequest(new Request.Command(java.util.List.of("backup"), "/", "w", false))));
        assertEquals("00 00 00 09 57 4c 01 81 01 00 02 68 69", hex(WireFormat.encodeOutput(new Output(Output.Stream.STDOUT, "hi"))));
        assertEquals("00 00 00 09 57 4c 01 82 00 00 02 6f 6b", hex(WireFormat.encodeResult(new Result(0, "ok"))));
    }

    @Test
    void commandFramesSurviveARoundTrip() {
        Request command = new Request.Command(java.util.List.of("restore", "--pgdata", "/srv/pg", "--target-time", "14:30"),
                "/home/dba", "/usr/bin/walden", true);
        assertEquals(command, WireFormat.decodeRequest(body(WireFormat.encodeRequest(command))));
        Request zoned = new Request.Command(java.util.List.of("restore", "--target-time", "14:30"), "/", "w", false, "Europe/Berlin");
        assertEquals(zoned, WireFormat.decodeRequest(body(WireFormat.encodeRequest(zoned))));
        Output output = new Output(Output.Stream.PROGRESS, "backup: 1.2 GB of 2.4 GB");
        assertEquals(output, WireFormat.decodeAgentFrame(body(WireFormat.encodeOutput(output))));
        Result result = new Result(126, "stop");
        assertEquals(result, WireFormat.decodeAgentFrame(body(WireFormat.encodeResult(result))));
        Reply reply = new Reply(Status.UNAVAILABLE, "busy");
        assertEquals(reply, WireFormat.decodeAgentFrame(body(WireFormat.encodeReply(reply))));
    }

    @Test
    void aCommandLineTooLongForOneFrameIsRefused() {
        java.util.List<String> arguments = java.util.Collections.nCopies(10, "x".repeat(4000));
        assertThrows(ProtocolException.class, () -> WireFormat.encodeRequest(new Request.Command(arguments, "/", "w", false)));
    }

    @Test
    void requestsSurviveARoundTrip() {
        Request push = new Request.Push("000000010000000000000001", "/var/lib/postgresql/15/main/pg_wal/000000010000000000000001");
        assertEquals(push, WireFormat.decodeRequest(body(WireFormat.encodeRequest(push))));
        Request fetch = new Request.Fetch("00000002.history", "/data/pg_wal/RECOVERYHISTORY");
        assertEquals(fetch, WireFormat.decodeRequest(body(WireFormat.encodeRequest(fetch))));
    }

    @Test
    void repliesSurviveARoundTripWithNonAsciiMessages() {
        Reply reply = new Reply(Status.CONFLICT, "différent → kept");
        assertEquals(reply, WireFormat.decodeReply(body(WireFormat.encodeReply(reply))));
    }

    @Test
    void overlongReplyMessagesAreCutNotRefused() {
        Reply reply = new Reply(Status.INTERNAL, "x".repeat(10_000));
        Reply decoded = WireFormat.decodeReply(body(WireFormat.encodeReply(reply)));
        assertEquals(Status.INTERNAL, decoded.status());
        assertEquals(WireFormat.MAX_STRING_BYTES, decoded.message().length());
    }

    @Test
    void malformedFramesAreRefusedWithAReason() {
        assertRefused("57 4c 01 09", "unknown request type");
        assertRefused("de ad 01 01", "bad frame magic");
        assertRefused("57 4c 02 01", "unsupported protocol version 2");
        assertRefused("57 4c 01 01 00 05 41", "truncated");
        assertRefused("57 4c 01 03 00", "trailing");
        assertRefused("57 4c", "truncated");
        assertRefused("57 4c 01 01 00 01 ff 00 00", "UTF-8");
        assertRefused("57 4c 01 01 ff ff", "exceeds");
    }

    @Test
    void frameLengthsOutsideTheLimitAreRefusedBeforeReading() {
        assertThrows(ProtocolException.class, () -> WireFormat.checkFrameLength(0));
        assertThrows(ProtocolException.class, () -> WireFormat.checkFrameLength(WireFormat.MAX_FRAME_LENGTH + 1));
        assertThrows(ProtocolException.class, () -> WireFormat.checkFrameLength(-1));
        assertEquals(4, WireFormat.checkFrameLength(4));
    }

    @Test
    void unknownReplyStatusIsRefused() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> WireFormat.decodeReply(ByteBuffer.wrap(HEX.parseHex("57 4c 01 80 63 00 00"))));
        assertEquals("unknown reply status 99", e.getMessage());
    }

    private static void assertRefused(String bodyHex, String reason) {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> WireFormat.decodeRequest(ByteBuffer.wrap(HEX.parseHex(bodyHex))));
        if (!e.getMessage().contains(reason)) {
            throw new AssertionError("expected '" + reason + "' in: " + e.getMessage());
        }
    }

    private static ByteBuffer body(ByteBuffer frame) {
        int length = frame.getInt();
        assertEquals(frame.remaining(), length);
        return frame.slice();
    }

    private static String hex(ByteBuffer frame) {
        byte[] bytes = new byte[frame.remaining()];
        frame.get(bytes);
        return HEX.formatHex(bytes);
    }
}
