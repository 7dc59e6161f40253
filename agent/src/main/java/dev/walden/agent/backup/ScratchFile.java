package dev.walden.agent.backup;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A zstd-compressed local file for what is too large to hold in memory while a command runs: a manifest's files
 * while a backup writes them or a restore or verify reads them, the blocks WAL summaries name. Kept in the agent's
 * {@code spool-path}, readable by the agent's user only, removed on close, and swept at start-up by its name
 * ({@link #GLOB}) if a crash left it. A failure to write it names the file and what to do, not only the errno.
 */
public final class ScratchFile implements AutoCloseable {
    /** What start-up removes ({@code Agent}). */
    public static final String GLOB = ".manifest-*.walden-tmp";

    private final Path path;

    private ScratchFile(Path path) {
        this.path = path;
    }

    /** A new empty scratch file in {@code directory}; {@code what} is part of its name, for whoever lists the spool. */
    static ScratchFile create(Path directory, String what) throws IOException {
        try {
            Files.createDirectories(directory);
            return new ScratchFile(Files.createTempFile(directory, ".manifest-" + what + "-", ".walden-tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
        } catch (IOException e) {
            throw failed(directory, e);
        }
    }

    /** Writes the file from its start, compressed. */
    OutputStream write() throws IOException {
        OutputStream out;
        try {
            out = new ZstdOutputStream(new BufferedOutputStream(Files.newOutputStream(path), 1 << 16), 1);
        } catch (IOException e) {
            throw failed(path.getParent(), e);
        }
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    throw failed(path.getParent(), e);
                }
            }

            @Override
            public void flush() throws IOException {
                try {
                    out.flush();
                } catch (IOException e) {
                    throw failed(path.getParent(), e);
                }
            }

            @Override
            public void close() throws IOException {
                try {
                    out.close();
                } catch (IOException e) {
                    throw failed(path.getParent(), e);
                }
            }
        };
    }

    /**
     * A channel that writes the file from its start, and starts it over when a read falls over to another copy of the
     * object being written here (several repositories).
     */
    dev.walden.agent.pipeline.BackupObjects.Restartable writeChannel() throws IOException {
        return new dev.walden.agent.pipeline.BackupObjects.Restartable() {
            private OutputStream out = ScratchFile.this.write();
            private java.nio.channels.WritableByteChannel channel = java.nio.channels.Channels.newChannel(out);

            @Override
            public int write(java.nio.ByteBuffer source) throws IOException {
                return channel.write(source);
            }

            @Override
            public void restart() throws IOException {
                out.close();
                out = ScratchFile.this.write();
                channel = java.nio.channels.Channels.newChannel(out);
            }

            @Override
            public boolean isOpen() {
                return channel.isOpen();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    /** Reads the file from its start, decompressed; it stays readable after {@link #close} until the stream is closed. */
    InputStream read() throws IOException {
        return new ZstdInputStream(new BufferedInputStream(Files.newInputStream(path), 1 << 16));
    }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(path);
    }

    private static IOException failed(Path directory, IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException || (e instanceof java.nio.file.FileSystemException fs
                && fs.getReason() != null && fs.getReason().toLowerCase(java.util.Locale.ROOT).contains("read-only"))) {
            return e;  // permissions and read-only mounts: the command's reply names the directory and the systemd fix
        }
        return new IOException("cannot write a scratch file in spool-path " + directory + " (" + e.getMessage() + "). HINT:"
                + " a backup, restore or verify keeps a backup's file list there, some 50 bytes a file; free space there, or"
                + " set spool-path to a directory on a larger file system, and run it again", e);
    }
}
