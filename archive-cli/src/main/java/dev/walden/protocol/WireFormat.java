package dev.walden.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Encodes and decodes Walden frames. Specified byte by byte in {@code docs/protocol.md}.
 *
 * <pre>
 * frame   := length:u32  magic:u16 = 0x574C ("WL")  version:u8 = 1  type:u8  body
 * length  := number of bytes after the length field (4 .. MAX_FRAME_LENGTH)
 * string  := byteCount:u16  UTF-8 bytes
 * PUSH  (0x01) body := fileName:string sourcePath:string
 * FETCH (0x02) body := fileName:string destinationPath:string
 * PING  (0x03) body := (empty)
 * COMMAND (0x04) body := workingDirectory:string clientPath:string flags:u8 argumentCount:u16 argument:string*
 *                         [zone:string, present when flags has FLAG_ZONE]
 * REPLY (0x80) body := status:u8 message:string
 * OUTPUT (0x81) body := stream:u8 text:string       (any number, while a COMMAND runs)
 * RESULT (0x82) body := exitCode:u8 message:string  (ends a COMMAND)
 * </pre>
 *
 * All integers are big-endian. Decoders reject trailing bytes, so a frame has exactly one meaning.
 * Works on {@link ByteBuffer} only, so the dependency-free client and the Netty agent share it.
 */
public final class WireFormat {
    public static final int LENGTH_FIELD_BYTES = 4;
    public static final short MAGIC = 0x574C;
    public static final byte VERSION = 1;
    /** Large enough for two PATH_MAX paths; small enough that a garbage length cannot exhaust memory. */
    public static final int MAX_FRAME_LENGTH = 16 * 1024;
    public static final int MAX_STRING_BYTES = 4096;

    public static final byte TYPE_PUSH = 0x01;
    public static final byte TYPE_FETCH = 0x02;
    public static final byte TYPE_PING = 0x03;
    public static final byte TYPE_COMMAND = 0x04;
    public static final byte TYPE_REPLY = (byte) 0x80;
    public static final byte TYPE_OUTPUT = (byte) 0x81;
    public static final byte TYPE_RESULT = (byte) 0x82;
    /** COMMAND flag bit: the client shows progress (its standard output is a terminal). */
    public static final int FLAG_PROGRESS = 1;
    /** COMMAND flag bit: the client's time zone follows the arguments. */
    public static final int FLAG_ZONE = 2;
    public static final int MAX_ARGUMENTS = 256;

    private WireFormat() {}

    /** Encodes a request as a whole frame, length field included, ready to write. */
    public static ByteBuffer encodeRequest(Request request) {
        ByteBuffer buffer = ByteBuffer.allocate(LENGTH_FIELD_BYTES + MAX_FRAME_LENGTH).order(ByteOrder.BIG_ENDIAN);
        buffer.position(LENGTH_FIELD_BYTES);
        // instanceof rather than a pattern switch: a type switch bootstraps an invokedynamic call site at run
        // time, which costs the once-per-WAL-file client several milliseconds of start-up.
        if (request instanceof Request.Push push) {
            putHeader(buffer, TYPE_PUSH);
            putString(buffer, push.fileName());
            putString(buffer, push.sourcePath());
        } else if (request instanceof Request.Fetch fetch) {
            putHeader(buffer, TYPE_FETCH);
            putString(buffer, fetch.fileName());
            putString(buffer, fetch.destinationPath());
        } else if (request instanceof Request.Command command) {
            try {
                putHeader(buffer, TYPE_COMMAND);
                putString(buffer, command.workingDirectory());
                putString(buffer, command.clientPath());
                buffer.put((byte) ((command.progress() ? FLAG_PROGRESS : 0) | (command.zone().isEmpty() ? 0 : FLAG_ZONE)));
                if (command.arguments().size() > MAX_ARGUMENTS) {
                    throw new ProtocolException("more than " + MAX_ARGUMENTS + " arguments");
                }
                buffer.putShort((short) command.arguments().size());
                for (String argument : command.arguments()) {
                    putString(buffer, argument);
                }
                if (!command.zone().isEmpty()) {
                    putString(buffer, command.zone());
                }
            } catch (java.nio.BufferOverflowException e) {
                throw new ProtocolException("command line is longer than " + MAX_FRAME_LENGTH + " bytes");
            }
        } else {
            putHeader(buffer, TYPE_PING);
        }
        return finishFrame(buffer);
    }

    /** Encodes part of a running command's output as a whole frame; text over the string limit is cut. */
    public static ByteBuffer encodeOutput(Output output) {
        ByteBuffer buffer = ByteBuffer.allocate(LENGTH_FIELD_BYTES + 4 + 1 + 2 + MAX_STRING_BYTES);
        buffer.position(LENGTH_FIELD_BYTES);
        putHeader(buffer, TYPE_OUTPUT);
        buffer.put((byte) output.stream().code);
        putString(buffer, truncate(output.text()));
        return finishFrame(buffer);
    }

    /** Encodes the end of a command as a whole frame. */
    public static ByteBuffer encodeResult(Result result) {
        ByteBuffer buffer = ByteBuffer.allocate(LENGTH_FIELD_BYTES + 4 + 1 + 2 + MAX_STRING_BYTES);
        buffer.position(LENGTH_FIELD_BYTES);
        putHeader(buffer, TYPE_RESULT);
        buffer.put((byte) result.exitCode());
        putString(buffer, truncate(result.message()));
        return finishFrame(buffer);
    }

    /**
     * Decodes a frame the agent sends: a {@link Reply}, an {@link Output} or a {@link Result}.
     *
     * @throws ProtocolException when the bytes are not one of them
     */
    public static Object decodeAgentFrame(ByteBuffer body) {
        try {
            int start = body.position();
            byte type = readHeader(body);
            Object frame;
            if (type == TYPE_REPLY) {
                body.position(start);
                return decodeReply(body);
            } else if (type == TYPE_OUTPUT) {
                frame = new Output(Output.Stream.fromCode(body.get() & 0xFF), getString(body));
            } else if (type == TYPE_RESULT) {
                frame = new Result(body.get() & 0xFF, getString(body));
            } else {
                throw new ProtocolException("unexpected frame type 0x" + Integer.toHexString(type & 0xFF) + " from the agent");
            }
            requireFullyRead(body);
            return frame;
        } catch (BufferUnderflowException e) {
            throw new ProtocolException("frame from the agent is truncated");
        }
    }

    /** Encodes a reply as a whole frame, length field included, ready to write. */
    public static ByteBuffer encodeReply(Reply reply) {
        ByteBuffer buffer = ByteBuffer.allocate(LENGTH_FIELD_BYTES + 4 + 1 + 2 + MAX_STRING_BYTES);
        buffer.position(LENGTH_FIELD_BYTES);
        putHeader(buffer, TYPE_REPLY);
        buffer.put((byte) reply.status().code);
        putString(buffer, truncate(reply.message()));
        return finishFrame(buffer);
    }

    /**
     * Decodes a request from a frame body: everything after the length field.
     *
     * @throws ProtocolException when the bytes are not a valid request
     */
    public static Request decodeRequest(ByteBuffer body) {
        try {
            byte type = readHeader(body);
            Request request = switch (type) {
                case TYPE_PUSH -> new Request.Push(getString(body), getString(body));
                case TYPE_FETCH -> new Request.Fetch(getString(body), getString(body));
                case TYPE_PING -> new Request.Ping();
                case TYPE_COMMAND -> decodeCommand(body);
                default -> throw new ProtocolException("unknown request type 0x" + Integer.toHexString(type & 0xFF));
            };
            requireFullyRead(body);
            return request;
        } catch (BufferUnderflowException e) {
            throw new ProtocolException("request frame is truncated");
        }
    }

    private static Request.Command decodeCommand(ByteBuffer body) {
        String workingDirectory = getString(body);
        String clientPath = getString(body);
        int flags = body.get() & 0xFF;
        int count = body.getShort() & 0xFFFF;
        if (count > MAX_ARGUMENTS) {
            throw new ProtocolException("command has " + count + " arguments; at most " + MAX_ARGUMENTS);
        }
        java.util.List<String> arguments = new java.util.ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            arguments.add(getString(body));
        }
        String zone = (flags & FLAG_ZONE) != 0 ? getString(body) : "";
        return new Request.Command(arguments, workingDirectory, clientPath, (flags & FLAG_PROGRESS) != 0, zone);
    }

    /**
     * Decodes a reply from a frame body: everything after the length field.
     *
     * @throws ProtocolException when the bytes are not a valid reply
     */
    public static Reply decodeReply(ByteBuffer body) {
        try {
            byte type = readHeader(body);
            if (type != TYPE_REPLY) {
                throw new ProtocolException("expected a reply, got frame type 0x" + Integer.toHexString(type & 0xFF));
            }
            Status status = Status.fromCode(body.get() & 0xFF);
            String message = getString(body);
            requireFullyRead(body);
            return new Reply(status, message);
        } catch (BufferUnderflowException e) {
            throw new ProtocolException("reply frame is truncated");
        }
    }

    /** Validates a frame length read from the wire before any body is buffered. */
    public static int checkFrameLength(int length) {
        if (length < 4 || length > MAX_FRAME_LENGTH) {
            throw new ProtocolException("frame length " + Integer.toUnsignedString(length) + " is outside 4.." + MAX_FRAME_LENGTH);
        }
        return length;
    }

    private static void putHeader(ByteBuffer buffer, byte type) {
        buffer.putShort(MAGIC).put(VERSION).put(type);
    }

    private static byte readHeader(ByteBuffer body) {
        short magic = body.getShort();
        if (magic != MAGIC) {
            throw new ProtocolException("bad frame magic 0x" + Integer.toHexString(magic & 0xFFFF) + " (not a Walden client or agent?)");
        }
        byte version = body.get();
        if (version != VERSION) {
            throw new ProtocolException("unsupported protocol version " + (version & 0xFF) + "; this side speaks " + VERSION);
        }
        return body.get();
    }

    private static void putString(ByteBuffer buffer, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_STRING_BYTES) {
            throw new ProtocolException("string of " + bytes.length + " bytes exceeds " + MAX_STRING_BYTES);
        }
        buffer.putShort((short) bytes.length).put(bytes);
    }

    private static String getString(ByteBuffer body) {
        int length = body.getShort() & 0xFFFF;
        if (length > MAX_STRING_BYTES) {
            throw new ProtocolException("string of " + length + " bytes exceeds " + MAX_STRING_BYTES);
        }
        if (length > body.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer slice = body.slice(body.position(), length);
        body.position(body.position() + length);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException("string is not valid UTF-8");
        }
    }

    private static void requireFullyRead(ByteBuffer body) {
        if (body.hasRemaining()) {
            throw new ProtocolException(body.remaining() + " unexpected trailing bytes in frame");
        }
    }

    private static ByteBuffer finishFrame(ByteBuffer buffer) {
        int end = buffer.position();
        buffer.putInt(0, end - LENGTH_FIELD_BYTES);
        return buffer.flip();
    }

    private static String truncate(String message) {
        // A reply must always be encodable, whatever an exception message contained.
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_STRING_BYTES) {
            return message;
        }
        return new String(bytes, 0, MAX_STRING_BYTES - 3, StandardCharsets.UTF_8).replace('\uFFFD', '?') + "...";
    }
}
