package dev.walden.agent.pipeline;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The bytes of one archived object. Version 2 is written; versions 1 and 2 are read. Specified in
 * {@code docs/format.md}:
 *
 * <pre>
 * header  := magic "WLDN"  version:u8  kind:u8  compression:u8  encryption:u8  nameLength:u16  name
 *            [encryption header extension, docs/encryption.md]
 * payload := body trailer                                             (encrypted as a whole when encryption != 0)
 * body    := { chunkLength:u32 (1 .. 4 MiB)  chunk }  0:u32           (compressed bytes, in chunks)
 * trailer := originalLength:u64  checksum  magic "WEND"               checksum: v2 CRC-32C:u32, v1 SHA-256:32 bytes
 * </pre>
 *
 * <p>The body is chunked so that the reader knows exactly where compressed data ends without trusting the
 * decompressor, and the trailer comes last so that a file is compressed and checksummed in one streaming pass.
 * Version 2 replaced SHA-256 by CRC-32C: the checksum only has to catch accidental damage (AES-GCM authenticates an
 * encrypted object, and nobody can stop an unencrypted one from being rewritten with a matching hash), and SHA-256
 * cost as much CPU per segment as zstd itself; identical re-pushes are recognised by comparing bytes, not hashes.
 */
public final class ArchivedObjectFormat {
    static final byte[] MAGIC = {'W', 'L', 'D', 'N'};
    static final byte[] TRAILER_MAGIC = {'W', 'E', 'N', 'D'};
    /** The version written. */
    public static final int VERSION = 2;
    static final int MAX_CHUNK = 4 << 20;
    /** WAL names are at most 40 bytes; backup object names (ID/data/NUMBER) about 30. */
    static final int MAX_NAME_BYTES = 64;

    private ArchivedObjectFormat() {}

    /** Header fields as stored. */
    public record Header(int version, ObjectKind kind, int compression, int encryption, String name) {}

    /** What the trailer says about the original file: its length and checksum (as the object's version defines). */
    public record Trailer(long originalLength, byte[] checksum) {
        public boolean sameContentAs(Trailer other) {
            return originalLength == other.originalLength && MessageDigest.isEqual(checksum, other.checksum);
        }
    }

    /** The whole-file checksum a version's trailer carries. */
    interface ContentChecksum {
        /** Takes the buffer's remaining bytes; leaves its position where it was. */
        void update(ByteBuffer bytes);

        byte[] finish();
    }

    static int trailerLength(int version) {
        return 8 + (version == 1 ? 32 : 4) + 4;
    }

    static ContentChecksum checksum(int version) {
        if (version == 1) {
            MessageDigest sha256 = sha256();
            return new ContentChecksum() {
                public void update(ByteBuffer bytes) {
                    sha256.update(bytes.duplicate());
                }

                public byte[] finish() {
                    return sha256.digest();
                }
            };
        }
        CRC32C crc = new CRC32C();
        return new ContentChecksum() {
            public void update(ByteBuffer bytes) {
                crc.update(bytes.duplicate());
            }

            public byte[] finish() {
                return ByteBuffer.allocate(4).putInt((int) crc.getValue()).array();
            }
        };
    }

    static byte[] encodeHeader(ObjectKind kind, int compression, int encryption, String name) {
        return encodeHeader(VERSION, kind, compression, encryption, name);
    }

    private static byte[] encodeHeader(int version, ObjectKind kind, int compression, int encryption, String name) {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer header = ByteBuffer.allocate(4 + 4 + 2 + nameBytes.length);
        header.put(MAGIC).put((byte) version).put((byte) kind.code).put((byte) compression)
                .put((byte) encryption).putShort((short) nameBytes.length).put(nameBytes);
        return header.array();
    }

    /** The common header exactly as stored; parsing is strict, so re-encoding reproduces the stored bytes. */
    static byte[] encodeHeader(Header header) {
        return encodeHeader(header.version(), header.kind(), header.compression(), header.encryption(), header.name());
    }

    static Header readHeader(DataInputStream in) throws IOException, CorruptObjectException {
        byte[] magic = new byte[4];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptObjectException("not a Walden object (bad magic)");
        }
        int version = in.readUnsignedByte();
        if (version != 1 && version != 2) {
            throw new CorruptObjectException("object format version " + version + " is not readable by this agent (reads 1 and 2)");
        }
        int kindCode = in.readUnsignedByte();
        ObjectKind kind;
        try {
            kind = ObjectKind.fromCode(kindCode);
        } catch (IllegalArgumentException e) {
            throw new CorruptObjectException("unknown file kind " + kindCode + " in object header");
        }
        int compression = in.readUnsignedByte();
        int encryption = in.readUnsignedByte();
        int nameLength = in.readUnsignedShort();
        if (nameLength > MAX_NAME_BYTES) {
            throw new CorruptObjectException("object header name length " + nameLength + " is implausible");
        }
        byte[] name = new byte[nameLength];
        in.readFully(name);
        return new Header(version, kind, compression, encryption, new String(name, StandardCharsets.US_ASCII));
    }

    /** The trailer of the version written. */
    static byte[] encodeTrailer(Trailer trailer) {
        return ByteBuffer.allocate(trailerLength(VERSION)).putLong(trailer.originalLength()).put(trailer.checksum())
                .put(TRAILER_MAGIC).array();
    }

    /** Decodes the fixed-size trailer of an object of {@code version}. */
    static Trailer decodeTrailer(int version, byte[] bytes) throws CorruptObjectException {
        if (bytes.length != trailerLength(version)) {
            throw new CorruptObjectException("object is too short to hold a trailer");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        long length = in.getLong();
        byte[] checksum = new byte[bytes.length - 12];
        in.get(checksum);
        byte[] magic = new byte[4];
        in.get(magic);
        if (!Arrays.equals(magic, TRAILER_MAGIC) || length < 0) {
            throw new CorruptObjectException("object trailer is damaged (truncated object?)");
        }
        return new Trailer(length, checksum);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Splits a stream into length-prefixed chunks; close writes the terminator but leaves the target open. */
    static final class ChunkedOutputStream extends OutputStream {
        private final OutputStream target;
        private final byte[] buffer;
        private int filled;

        ChunkedOutputStream(OutputStream target, int chunkSize) {
            this.target = target;
            this.buffer = new byte[chunkSize];
        }

        @Override
        public void write(int b) throws IOException {
            if (filled == buffer.length) {
                emit();
            }
            buffer[filled++] = (byte) b;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                if (filled == buffer.length) {
                    emit();
                }
                int count = Math.min(length, buffer.length - filled);
                System.arraycopy(bytes, offset, buffer, filled, count);
                filled += count;
                offset += count;
                length -= count;
            }
        }

        private void emit() throws IOException {
            if (filled == 0) {
                return;
            }
            writeInt(filled);
            target.write(buffer, 0, filled);
            filled = 0;
        }

        private void writeInt(int value) throws IOException {
            target.write(value >>> 24);
            target.write(value >>> 16);
            target.write(value >>> 8);
            target.write(value);
        }

        @Override
        public void close() throws IOException {
            emit();
            writeInt(0);
        }
    }

    /** Reads the chunks back as one stream; end of stream is the zero-length terminator, never the source's EOF. */
    static final class ChunkedInputStream extends InputStream {
        private final DataInputStream source;
        private int remainingInChunk;
        private boolean finished;

        ChunkedInputStream(DataInputStream source) {
            this.source = source;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            while (remainingInChunk == 0) {
                if (finished) {
                    return -1;
                }
                int next;
                try {
                    next = source.readInt();
                } catch (EOFException e) {
                    throw new EOFException("object is truncated inside its body");
                }
                if (next == 0) {
                    finished = true;
                    return -1;
                }
                if (next < 0 || next > MAX_CHUNK) {
                    throw new IOException("object body chunk length " + next + " is invalid");
                }
                remainingInChunk = next;
            }
            int read = source.read(bytes, offset, Math.min(length, remainingInChunk));
            if (read < 0) {
                throw new EOFException("object is truncated inside its body");
            }
            remainingInChunk -= read;
            return read;
        }
    }
}
