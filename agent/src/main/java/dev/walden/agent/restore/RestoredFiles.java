package dev.walden.agent.restore;

import dev.walden.agent.backup.Manifest;
import dev.walden.agent.backup.TransferProgress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Takes one data object's original bytes as they are decoded and writes the files of it that the restore needs,
 * each checked against its manifest checksum before it is kept; bytes of files not needed (re-used from an older
 * backup of a later chain member, or unchanged under --delta) are skipped.
 */
final class RestoredFiles implements dev.walden.agent.pipeline.BackupObjects.Restartable {
    /**
     * Bytes to write: {@code length} bytes from {@code objectOffset} of the object's stream, at {@code fileOffset} of
     * the file. A whole file ({@code whole}) is created, checked against its SHA-256 and given its attributes here;
     * a part of a block-mapped file is written into the file the restore created, which is checked once complete.
     */
    record Target(Manifest.FileEntry entry, Path path, long fileOffset, long objectOffset, long length, boolean whole,
                  String expectedSha256) {
        static Target wholeFile(Manifest.FileEntry entry, Path path) {
            return new Target(entry, path, 0, entry.offset(), entry.size(), true, entry.sha256());
        }

        /** A part of a block-mapped file; checked here when it is a whole range ({@code rangeSha256} not null). */
        static Target part(Manifest.FileEntry entry, Path path, long fileOffset, long objectOffset, long length, String rangeSha256) {
            return new Target(entry, path, fileOffset, objectOffset, length, false, rangeSha256);
        }
    }

    private final List<Target> targets;  // sorted by offset
    private final TransferProgress progress;
    private final Ownership ownership;
    private final MessageDigest digest;
    private int index;
    private long position;
    private FileChannel current;
    private long written;

    RestoredFiles(List<Target> targets, TransferProgress progress, Ownership ownership) {
        this.targets = targets;
        this.progress = progress;
        this.ownership = ownership;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int write(ByteBuffer source) throws IOException {
        int count = source.remaining();
        while (source.hasRemaining()) {
            if (index >= targets.size()) {
                position += source.remaining();
                source.position(source.limit());
                break;
            }
            Target target = targets.get(index);
            long start = target.objectOffset();
            if (position < start) {
                int skip = (int) Math.min(source.remaining(), start - position);
                source.position(source.position() + skip);
                position += skip;
                continue;
            }
            if (current == null) {
                open(target);
            }
            long left = target.length() - written;
            int take = (int) Math.min(source.remaining(), left);
            ByteBuffer slice = source.slice(source.position(), take);
            if (target.expectedSha256() != null) {
                digest.update(slice.duplicate());
            }
            while (slice.hasRemaining()) {
                current.write(slice);
            }
            source.position(source.position() + take);
            position += take;
            written += take;
            progress.addBytes(take);
            if (written == target.length()) {
                finish(target);
            }
        }
        return count;
    }

    private void open(Target target) throws IOException {
        if (target.whole()) {
            Files.deleteIfExists(target.path());
            current = FileChannel.open(target.path(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } else {
            current = FileChannel.open(target.path(), StandardOpenOption.WRITE);
            current.position(target.fileOffset());
        }
        written = 0;
        digest.reset();
    }

    private void finish(Target target) throws IOException {
        if (!target.whole()) {
            current.close();
            current = null;
            if (target.expectedSha256() != null && !HexFormat.of().formatHex(digest.digest()).equals(target.expectedSha256())) {
                throw new ChecksumMismatchException(target.entry().path() + " (range at " + target.fileOffset() + ")");
            }
            index++;
            return;
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        // No fsync here: the restore syncs every file once all are written (Restorer.syncFiles), so writeback
        // overlaps decompression instead of stalling this thread file by file; pg_control waits for that sync.
        current.close();
        current = null;
        if (!actual.equals(target.entry().sha256())) {
            throw new ChecksumMismatchException(target.entry().path());
        }
        setAttributes(target.path(), target.entry(), ownership);
        progress.fileDone();
        index++;
    }

    /** Another copy of the object follows from its start: every file it fills is written again. */
    @Override
    public void restart() throws IOException {
        close();
        index = 0;
        position = 0;
        written = 0;
        digest.reset();
    }

    /** Every target was written: an object that ends early is damaged. */
    void requireComplete() throws IOException {
        if (index < targets.size()) {
            throw new ChecksumMismatchException(targets.get(index).entry().path() + " (its object ended before the file did)");
        }
    }

    static void setAttributes(Path path, Manifest.FileEntry entry, Ownership ownership) throws IOException {
        Files.setAttribute(path, "unix:mode", entry.mode() & dev.walden.agent.backup.ManifestCheck.FILE_MODE_MASK);
        Files.setLastModifiedTime(path, FileTime.from(entry.mtimeNanos(), TimeUnit.NANOSECONDS));
        ownership.apply(path);
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    /** A restored file does not match its manifest checksum. */
    /** Reads one range of a restored file back and checks it: for ranges assembled from several parts. */
    static void verifyRange(Path path, Manifest.FileEntry entry, int range) throws IOException {
        if (entry.blocks().orElseThrow().summarized()) {
            verifyBlocks(path, entry, range);
            return;
        }
        long start = range * dev.walden.agent.backup.FileChecksum.RANGE_BYTES;
        long length = Math.min(dev.walden.agent.backup.FileChecksum.RANGE_BYTES, entry.size() - start);
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer buffer = ByteBuffer.allocate(128 * 1024);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long position = start;
            while (position < start + length) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), start + length - position));
                int read = channel.read(buffer, position);
                if (read < 0) {
                    break;
                }
                position += read;
                sha256.update(buffer.flip());
            }
        }
        if (!HexFormat.of().formatHex(sha256.digest()).equals(entry.blocks().orElseThrow().rangeSha256().get(range))) {
            throw new ChecksumMismatchException(entry.path() + " (range at " + start + ", assembled from its blocks)");
        }
    }

    /**
     * Reads one range of a restored file back and checks each block against the block map's checksum: for files an
     * incremental took partly unread from its parent (WAL summaries), which have no range hashes.
     */
    static void verifyBlocks(Path path, Manifest.FileEntry entry, int range) throws IOException {
        Manifest.Blocks blocks = entry.blocks().orElseThrow();
        long start = range * dev.walden.agent.backup.FileChecksum.RANGE_BYTES;
        long end = Math.min(start + dev.walden.agent.backup.FileChecksum.RANGE_BYTES, entry.size());
        ByteBuffer buffer = ByteBuffer.allocate(blocks.size());
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            for (long position = start; position < end; position += blocks.size()) {
                buffer.clear().limit((int) Math.min(blocks.size(), end - position));
                while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) >= 0) {
                    // read the whole block
                }
                int block = (int) (position / blocks.size());
                if (buffer.hasRemaining() || dev.walden.agent.backup.FileChecksum.blockChecksum(buffer.flip()) != blocks.checksum(block)) {
                    throw new ChecksumMismatchException(entry.path() + " (block " + block + ", assembled from its block map)");
                }
            }
        }
    }

    static final class ChecksumMismatchException extends IOException {
        ChecksumMismatchException(String path) {
            super("restored " + path + " does not match the checksum in the manifest");
        }
    }
}
