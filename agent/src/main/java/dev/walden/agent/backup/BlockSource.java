package dev.walden.agent.backup;

import dev.walden.agent.pipeline.ObjectSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The original bytes of one large file's data object, block by block: each block of {@link #BLOCK_SIZE} is
 * checksummed, and when the parent backup holds a block with the same checksum at the same place, the block is not
 * stored again but referred to. What is stored is the changed blocks only, one after another; the file's whole
 * SHA-256 is computed as it is read, and a restore checks the assembled file against it, so a block wrongly taken
 * as unchanged can never pass unnoticed.
 */
final class BlockSource implements ObjectSource {
    /** Eight PostgreSQL pages: small enough that appends and scattered updates re-store little, large enough that
     *  block maps stay at 1/8192 of the data (docs/format.md). */
    static final int BLOCK_SIZE = 64 * 1024;
    /** A large file is copied in ranges of this many blocks (128 MiB), each its own object, so that one large file is
     *  backed up and restored by several threads at once. */
    static final int RANGE_BLOCKS = 2048;
    static final long RANGE_BYTES = (long) RANGE_BLOCKS * BLOCK_SIZE;

    private final DataDirectoryScan.ListedFile file;
    private final int firstBlock;
    private final Optional<Manifest.FileEntry> parent;
    private final String backupId;
    private final int objectNumber;
    private final TransferProgress progress;
    private final AtomicBoolean stop;
    /** Direct, so the file is read, checksummed and handed to the encoder without copies through the heap. */
    private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK_SIZE);
    private final MessageDigest sha256 = BundleSource.sha256();
    private final ByteBuffer checksums;
    private final List<Manifest.Part> parts = new ArrayList<>();
    private FileChannel channel;
    private boolean opened;
    private boolean vanished;
    private long remaining;
    private int blockIndex;
    private int pendingLength;
    private int pendingPosition;
    private long objectPosition;
    private long length;
    private int parentPart;
    private boolean done;
    /** What WAL summaries say changed in this file; empty when there are none to go by (every block is read). */
    private final Optional<WalSummaryChanges.Changes> changes;
    /** Some block was taken from the parent unread: the range's SHA-256 cannot be known. */
    private boolean partial;

    /** Copies range {@code range} of {@code file}: blocks {@code range * RANGE_BLOCKS} up to the next range. */
    BlockSource(DataDirectoryScan.ListedFile file, int range, Optional<Manifest.FileEntry> parent, String backupId, int objectNumber,
                TransferProgress progress, AtomicBoolean stop) {
        this(file, range, parent, Optional.empty(), backupId, objectNumber, progress, stop);
    }

    /** With what WAL summaries say changed: a block they do not name is taken from the parent without reading it. */
    BlockSource(DataDirectoryScan.ListedFile file, int range, Optional<Manifest.FileEntry> parent, Optional<WalSummaryChanges.Changes> changes,
                String backupId, int objectNumber, TransferProgress progress, AtomicBoolean stop) {
        this.changes = changes;
        this.file = file;
        this.firstBlock = range * RANGE_BLOCKS;
        this.parent = parent.filter(p -> p.blocks().isPresent() && p.blocks().get().size() == BLOCK_SIZE);
        this.backupId = backupId;
        this.objectNumber = objectNumber;
        this.progress = progress;
        this.stop = stop;
        long rangeBytes = Math.max(0, Math.min(RANGE_BYTES, file.size() - (long) firstBlock * BLOCK_SIZE));
        this.checksums = ByteBuffer.allocate((int) ((rangeBytes + BLOCK_SIZE - 1) / BLOCK_SIZE) * 8);
        this.blockIndex = firstBlock;
        this.remaining = rangeBytes;
    }

    @Override
    public boolean fill(ByteBuffer buffer) throws IOException {
        if (!opened) {
            open();
        }
        while (buffer.hasRemaining()) {
            if (pendingPosition < pendingLength) {
                int count = Math.min(buffer.remaining(), pendingLength - pendingPosition);
                buffer.put(block.slice(pendingPosition, count));
                pendingPosition += count;
                continue;
            }
            if (vanished || remaining == 0) {
                finish();
                return false;
            }
            if (stop.get()) {
                throw new IOException("stopped");
            }
            int expected = (int) Math.min(BLOCK_SIZE, remaining);
            if (changes.isPresent() && !changes.get().changed(blockIndex)) {
                Optional<Manifest.Part> unread = parentLocation(blockIndex, expected, OptionalLong.empty());
                if (unread.isPresent()) {
                    // WAL did not touch it since the parent: the parent's copy, its checksum, and no read.
                    checksums.putLong(parent.orElseThrow().blocks().orElseThrow().checksum(blockIndex));
                    add(unread.get());
                    channel.position(channel.position() + expected);
                    partial = true;
                    length += expected;
                    remaining -= expected;
                    blockIndex++;
                    progress.addBytes(expected);
                    continue;
                }
            }
            int read = readBlock();
            if (read == 0) {
                remaining = 0;
                continue;
            }
            sha256.update(block.slice(0, read));
            long checksum = FileChecksum.blockChecksum(block.slice(0, read));
            checksums.putLong(checksum);
            Optional<Manifest.Part> unchanged = parentLocation(blockIndex, read, OptionalLong.of(checksum));
            if (unchanged.isPresent()) {
                add(unchanged.get());
            } else {
                add(new Manifest.Part(blockIndex, 1, backupId, objectNumber, objectPosition));
                objectPosition += read;
                pendingLength = read;
                pendingPosition = 0;
            }
            length += read;
            remaining -= read;
            blockIndex++;
            progress.addBytes(read);
        }
        return true;
    }

    private void open() throws IOException {
        opened = true;
        try {
            channel = FileChannel.open(file.location());
            channel.position((long) firstBlock * BLOCK_SIZE);
        } catch (NoSuchFileException e) {
            vanished = true;  // dropped since it was listed: WAL replay recreates what is needed
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(file.location().toString(), null,
                    "permission denied. HINT: run walden-agent as the cluster's owner (postgres)");
        }
    }

    /** Reads the next block, up to the size listed; fewer bytes only at the end or if the file shrank. */
    private int readBlock() throws IOException {
        block.clear().limit((int) Math.min(BLOCK_SIZE, remaining));
        while (block.hasRemaining()) {
            if (channel.read(block) < 0) {
                break;
            }
        }
        return block.position();
    }

    /**
     * Where the parent stores this block, if it has one of the same length (and checksum, when one is given) at this
     * place.
     */
    private Optional<Manifest.Part> parentLocation(int index, int blockLength, OptionalLong checksum) {
        if (parent.isEmpty()) {
            return Optional.empty();
        }
        Manifest.FileEntry before = parent.get();
        Manifest.Blocks blocks = before.blocks().orElseThrow();
        if (index >= blocks.count() || Math.min(BLOCK_SIZE, before.size() - (long) index * BLOCK_SIZE) != blockLength
                || (checksum.isPresent() && blocks.checksum(index) != checksum.getAsLong())) {
            return Optional.empty();
        }
        while (parentPart < blocks.parts().size() && blocks.parts().get(parentPart).first() + blocks.parts().get(parentPart).count() <= index) {
            parentPart++;
        }
        Manifest.Part part = blocks.parts().get(parentPart);
        return Optional.of(new Manifest.Part(index, 1, part.backup(), part.object(), part.offset() + (long) (index - part.first()) * BLOCK_SIZE));
    }

    /** Appends a one-block part, merged into the previous one when it continues it in the same object. */
    private void add(Manifest.Part part) {
        if (!parts.isEmpty()) {
            Manifest.Part last = parts.get(parts.size() - 1);
            if (last.backup().equals(part.backup()) && last.object() == part.object() && last.first() + last.count() == part.first()
                    && last.offset() + (long) last.count() * BLOCK_SIZE == part.offset()) {
                parts.set(parts.size() - 1, new Manifest.Part(last.first(), last.count() + 1, last.backup(), last.object(), last.offset()));
                return;
            }
        }
        parts.add(part);
    }

    private void finish() throws IOException {
        if (!done) {
            done = true;
            close();
        }
    }

    /**
     * What one range of a file came to: its bytes, block checksums, where its blocks are, and its SHA-256 (null when
     * blocks were taken from the parent unread).
     */
    record Range(int index, boolean vanished, long length, byte[] checksums, List<Manifest.Part> parts, byte[] sha256) {}

    /** The range as read. Valid once the object is written. */
    Range range() {
        return new Range(firstBlock / RANGE_BLOCKS, vanished, length, java.util.Arrays.copyOf(checksums.array(), checksums.position()),
                List.copyOf(parts), partial ? null : sha256.digest());
    }

    /**
     * Joins a file's ranges, in order, into its manifest entry; empty when it vanished. A range shorter than a full
     * one ends the file (it shrank while being copied; WAL replay makes it right).
     */
    static Optional<Manifest.FileEntry> entry(DataDirectoryScan.ListedFile file, List<Range> ranges, String backupId, int object) {
        if (ranges.isEmpty() || ranges.get(0).vanished()) {
            return Optional.empty();
        }
        java.io.ByteArrayOutputStream checksums = new java.io.ByteArrayOutputStream();
        List<Manifest.Part> parts = new ArrayList<>();
        List<byte[]> digests = new ArrayList<>();
        List<String> rangeSha256 = new ArrayList<>();
        long length = 0;
        boolean summarized = false;
        for (Range range : ranges) {
            checksums.writeBytes(range.checksums());
            parts.addAll(range.parts());
            if (range.sha256() == null) {
                summarized = true;
            } else {
                digests.add(range.sha256());
                rangeSha256.add(HexFormat.of().formatHex(range.sha256()));
            }
            length += range.length();
            if (range.length() < RANGE_BYTES) {
                break;
            }
        }
        byte[] blockChecksums = checksums.toByteArray();
        if (summarized) {
            // Not every byte was read: the file is vouched for by its block checksums (restore reads each block back
            // and compares), and its sha256 is that of the checksums, so that two entries compare as before.
            return Optional.of(new Manifest.FileEntry(file.path(), length, file.mtimeNanos(), file.mode(),
                    HexFormat.of().formatHex(BundleSource.sha256().digest(blockChecksums)), backupId, object, 0,
                    Optional.of(new Manifest.Blocks(BLOCK_SIZE, blockChecksums, parts, List.of(), true))));
        }
        return Optional.of(new Manifest.FileEntry(file.path(), length, file.mtimeNanos(), file.mode(),
                HexFormat.of().formatHex(FileChecksum.combine(digests)), backupId, object, 0,
                Optional.of(new Manifest.Blocks(BLOCK_SIZE, blockChecksums, parts, rangeSha256))));
    }

    void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
