package dev.walden.agent.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Reads the system identifier from a data directory's {@code global/pg_control}, whose first field is
 * {@code uint64 system_identifier} in host byte order. Used for files without WAL pages ({@code .history},
 * {@code .backup}), so they too are checked against the cluster the repository belongs to.
 */
public final class ControlFile {
    private ControlFile() {}

    /**
     * Given the path of a file PostgreSQL hands to {@code archive_command} ({@code DATADIR/pg_wal/NAME}), returns
     * the cluster's system identifier, or empty when the file is not inside a recognisable data directory.
     */
    public static OptionalLong systemIdentifierForWalPath(Path walFile) throws IOException {
        Path walDirectory = walFile.getParent();
        if (walDirectory == null || walDirectory.getFileName() == null
                || !walDirectory.getFileName().toString().equals("pg_wal") || walDirectory.getParent() == null) {
            return OptionalLong.empty();
        }
        return systemIdentifierOfDataDirectory(walDirectory.getParent());
    }

    /** The system identifier in {@code dataDirectory/global/pg_control}, or empty when there is none. */
    public static OptionalLong systemIdentifierOfDataDirectory(Path dataDirectory) throws IOException {
        Path control = dataDirectory.resolve("global").resolve("pg_control");
        if (!Files.isRegularFile(control)) {
            return OptionalLong.empty();
        }
        try (FileChannel channel = FileChannel.open(control)) {
            ByteBuffer buffer = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            while (buffer.hasRemaining()) {
                if (channel.read(buffer) < 0) {
                    return OptionalLong.empty();
                }
            }
            return OptionalLong.of(buffer.flip().getLong());
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }
}
