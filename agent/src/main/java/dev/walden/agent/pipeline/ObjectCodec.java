package dev.walden.agent.pipeline;

import dev.walden.agent.codec.Compressor;
import dev.walden.agent.pipeline.ArchivedObjectFormat.ChunkedInputStream;
import dev.walden.agent.pipeline.ArchivedObjectFormat.ChunkedOutputStream;
import dev.walden.agent.pipeline.ArchivedObjectFormat.Header;
import dev.walden.agent.pipeline.ArchivedObjectFormat.Trailer;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import dev.walden.agent.crypto.DecryptionException;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;

/**
 * Streams a file into the archived object format and back, in one pass each way with a fixed-size buffer:
 * push stacks checksum → compress → chunk, fetch reverses it and checks the trailer before anything is kept.
 */
final class ObjectCodec {
    /** No archived file is larger than PostgreSQL's largest segment; a bigger stream is a decompression bomb. */
    static final long MAX_ORIGINAL_LENGTH = 1L << 30;
    private static final int CHUNK_SIZE = 1 << 20;
    /** Reads of stored objects: compressed data, a tenth of the original; small buffers keep garbage per fetch low. */
    private static final int IO_BUFFER = 64 * 1024;

    private ObjectCodec() {}

    /** Writes the whole object for {@code source} (read from position 0 to its end) and returns its trailer. */
    static Trailer write(OutputStream out, ObjectKind kind, String name, Compressor compressor,
                         ObjectEncryption encryption, FileChannel source) throws IOException {
        // Read straight into the encoder's direct buffer: one pass, no copy through the heap.
        long[] position = {0};
        return write(out, kind, name, compressor, encryption, buffer -> {
            int read = source.read(buffer, position[0]);
            if (read < 0) {
                return false;
            }
            position[0] += read;
            return true;
        });
    }

    /** Writes a whole object whose original bytes come from {@code source}, and returns its trailer. */
    static Trailer write(OutputStream out, ObjectKind kind, String name, Compressor compressor,
                         ObjectEncryption encryption, ObjectSource source) throws IOException {
        ObjectEncryption.Sealing sealing = encryption.beginObject();
        byte[] header = ObjectEncryption.concat(
                ArchivedObjectFormat.encodeHeader(kind, compressor.id(), encryption.id(), name), sealing.headerExtension());
        out.write(header);
        OutputStream payload = sealing.encrypt(out, header);
        ChunkedOutputStream chunks = new ChunkedOutputStream(payload, CHUNK_SIZE);
        ArchivedObjectFormat.ContentChecksum checksum = ArchivedObjectFormat.checksum(ArchivedObjectFormat.VERSION);
        long length = 0;
        try (Compressor.Encoder encoder = compressor.encoder()) {
            boolean more = true;
            while (more) {
                ByteBuffer input = encoder.input();
                while (more && input.hasRemaining()) {
                    more = source.fill(input);
                }
                input.flip();
                length += input.remaining();
                checksum.update(input);
                encoder.compress(input, !more, chunks);
            }
        }
        chunks.close();
        Trailer trailer = new Trailer(length, checksum.finish());
        payload.write(ArchivedObjectFormat.encodeTrailer(trailer));
        payload.close();
        return trailer;
    }

    /**
     * Reads an object, writing the original bytes to {@code destination}, and verifies header and trailer.
     *
     * @throws CorruptObjectException when anything does not match; the destination then holds garbage to discard
     */
    static Trailer read(InputStream object, String expectedName, ObjectKind expectedKind, Keyring keyring,
                        WritableByteChannel destination) throws IOException, CorruptObjectException {
        return read(object, expectedName, expectedKind, keyring, destination, MAX_ORIGINAL_LENGTH);
    }

    /** As {@link #read(InputStream, String, ObjectKind, Keyring, WritableByteChannel)}, for objects up to {@code maxLength}. */
    static Trailer read(InputStream object, String expectedName, ObjectKind expectedKind, Keyring keyring,
                        WritableByteChannel destination, long maxLength) throws IOException, CorruptObjectException {
        DataInputStream stored = new DataInputStream(new BufferedInputStream(new StorageStream(object), IO_BUFFER));
        try {
            Header header = ArchivedObjectFormat.readHeader(stored);
            if (!header.name().equals(expectedName) || header.kind() != expectedKind) {
                throw new CorruptObjectException("object holds " + header.name() + " (" + header.kind()
                        + "), not " + expectedName + " (copied over another name?)");
            }
            ObjectEncryption.Opening opening = ObjectEncryption.readHeaderExtension(header.encryption(), stored,
                    ArchivedObjectFormat.encodeHeader(header), keyring, expectedName);
            DataInputStream in = new DataInputStream(opening.decrypt(stored));
            Compressor compressor;
            try {
                compressor = Compressor.forId(header.compression());
            } catch (IllegalArgumentException e) {
                throw new CorruptObjectException(e.getMessage());
            }
            ArchivedObjectFormat.ContentChecksum checksum = ArchivedObjectFormat.checksum(header.version());
            long[] length = {0};
            Compressor.Sink sink = original -> {
                length[0] += original.remaining();
                if (length[0] > maxLength) {
                    throw new TooLargeException();
                }
                checksum.update(original);
                while (original.hasRemaining()) {
                    destination.write(original);
                }
            };
            ChunkedInputStream chunks = new ChunkedInputStream(in);
            byte[] buffer = new byte[IO_BUFFER];
            try (Compressor.Decoder decoder = compressor.decoder()) {
                int read;
                while ((read = readBody(chunks, buffer)) >= 0) {
                    decoder.decompress(buffer, 0, read, sink);
                }
                if (!decoder.complete()) {
                    throw new CorruptObjectException("object body ends inside the compressed stream (truncated?)");
                }
            } catch (Compressor.DamagedInputException e) {
                throw new CorruptObjectException("object body is damaged: " + e.getMessage());
            } catch (TooLargeException e) {
                throw new CorruptObjectException("object expands beyond " + maxLength + " bytes");
            }
            byte[] trailerBytes = new byte[ArchivedObjectFormat.trailerLength(header.version())];
            in.readFully(trailerBytes);
            Trailer recorded = ArchivedObjectFormat.decodeTrailer(header.version(), trailerBytes);
            if (in.read() >= 0) {
                throw new CorruptObjectException("object has bytes after its trailer");
            }
            Trailer actual = new Trailer(length[0], checksum.finish());
            if (!actual.sameContentAs(recorded)) {
                throw new CorruptObjectException("checksum mismatch: object restores to " + length[0]
                        + " bytes that do not match the checksum recorded at archive time");
            }
            return recorded;
        } catch (EOFException e) {
            throw new CorruptObjectException("object is truncated");
        } catch (DecryptionException e) {
            throw new CorruptObjectException(e.getMessage());
        }
    }

    /** Raised by the sink past MAX_ORIGINAL_LENGTH: a decompression bomb, reported as a corrupt object. */
    private static final class TooLargeException extends IOException {}

    /**
     * Whether an archived object restores to exactly the bytes of {@code local}, compared byte for byte as the object
     * is read and verified: how an identical re-push is told from a different file under the same name.
     *
     * @throws CorruptObjectException when the archived object itself is damaged
     */
    static boolean sameContent(InputStream object, String name, ObjectKind kind, Keyring keyring, FileChannel local)
            throws IOException, CorruptObjectException {
        ComparingChannel comparing = new ComparingChannel(local);
        Trailer archived = read(object, name, kind, keyring, comparing);
        return comparing.same && archived.originalLength() == local.size();
    }

    /** Compares what is written to it with a file, from position 0; remembers only whether everything matched. */
    private static final class ComparingChannel implements WritableByteChannel {
        private final FileChannel local;
        private final ByteBuffer expected = ByteBuffer.allocate(IO_BUFFER);
        private long position;
        private boolean same = true;

        ComparingChannel(FileChannel local) {
            this.local = local;
        }

        @Override
        public int write(ByteBuffer written) throws IOException {
            int count = written.remaining();
            while (same && written.hasRemaining()) {
                expected.clear().limit(Math.min(expected.capacity(), written.remaining()));
                int read = local.read(expected, position);
                if (read <= 0) {
                    same = false;  // the archived copy is longer
                    break;
                }
                position += read;
                expected.flip();
                ByteBuffer slice = written.slice(written.position(), read);
                same = slice.equals(expected);
                written.position(written.position() + read);
            }
            written.position(written.limit());
            return count;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }

    /**
     * Reads decompressed bytes. zstd-jni and the chunk reader report damaged input as a plain IOException, which
     * means corruption; a failure of the storage stream itself is an outage and keeps its type.
     */
    private static int readBody(InputStream body, byte[] buffer) throws IOException, CorruptObjectException {
        try {
            return body.read(buffer);
        } catch (StorageReadException e) {
            throw e;
        } catch (DecryptionException e) {
            throw new CorruptObjectException(e.getMessage());
        } catch (IOException e) {
            throw new CorruptObjectException("object body is damaged: " + e.getMessage());
        }
    }

    /** Marks failures of reading from storage, so they are not mistaken for a damaged object. */
    static final class StorageReadException extends IOException {
        StorageReadException(IOException cause) {
            super("reading from the repository failed: " + cause.getMessage(), cause);
        }
    }

    private static final class StorageStream extends java.io.FilterInputStream {
        StorageStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException e) {
                throw new StorageReadException(e);
            }
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            try {
                return in.read(bytes, offset, length);
            } catch (IOException e) {
                throw new StorageReadException(e);
            }
        }
    }
}
