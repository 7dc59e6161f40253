package dev.walden.agent.wal;

import dev.walden.agent.postgres.PostgresMajor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Set;

/**
 * The long page header at the start of every WAL segment ({@code XLogLongPageHeaderData} in PostgreSQL's
 * {@code access/xlog_internal.h}), in the host's byte order:
 *
 * <pre>
 *  0 xlp_magic u16   2 xlp_info u16   4 xlp_tli u32   8 xlp_pageaddr u64   16 xlp_rem_len u32   20 (padding)
 * 24 xlp_sysid u64  32 xlp_seg_size u32   36 xlp_xlog_blcksz u32
 * </pre>
 */
public record WalSegmentHeader(int magic, int info, long timeline, long pageAddress, long systemIdentifier,
                               long segmentSize, int blockSize) {
    public static final int LENGTH = 40;
    private static final int XLP_LONG_HEADER = 0x0002;

    /** Parses the first {@link #LENGTH} bytes of a segment. */
    public static WalSegmentHeader parse(ByteBuffer bytes) throws InvalidWalFileException {
        if (bytes.remaining() < LENGTH) {
            throw new InvalidWalFileException("file is " + bytes.remaining() + " bytes, shorter than a WAL page header");
        }
        ByteBuffer in = bytes.slice().order(ByteOrder.nativeOrder());
        int magic = in.getShort(0) & 0xFFFF;
        int info = in.getShort(2) & 0xFFFF;
        long timeline = in.getInt(4) & 0xFFFF_FFFFL;
        long pageAddress = in.getLong(8);
        long systemIdentifier = in.getLong(24);
        long segmentSize = in.getInt(32) & 0xFFFF_FFFFL;
        int blockSize = in.getInt(36);
        // The magics come from PostgresMajor's table; a newer major's is accepted here, and the rest of the header
        // must then convince (long header, segment size, and checkMatches: page address and size; the caller: cluster).
        if (PostgresMajor.ofWalPageMagic(magic).isEmpty() && !PostgresMajor.isNewerWalPageMagic(magic)) {
            throw new InvalidWalFileException("not a WAL segment of PostgreSQL " + PostgresMajor.KNOWN.get(0).major() + " or later:"
                    + " page magic is 0x" + HexFormat.of().toHexDigits((short) magic));
        }
        if ((info & XLP_LONG_HEADER) == 0) {
            throw new InvalidWalFileException("first page lacks the long header every WAL segment starts with");
        }
        if (segmentSize < (1 << 20) || segmentSize > (1 << 30) || Long.bitCount(segmentSize) != 1) {
            throw new InvalidWalFileException("header names a segment size of " + segmentSize
                    + " bytes; PostgreSQL uses a power of two from 1 MiB to 1 GiB");
        }
        return new WalSegmentHeader(magic, info, timeline, pageAddress, systemIdentifier, segmentSize, blockSize);
    }

    /** The major whose WAL this is, or empty for a major newer than Walden knows. */
    public java.util.Optional<PostgresMajor> major() {
        return PostgresMajor.ofWalPageMagic(magic);
    }

    /**
     * Checks that this header belongs to the file named {@code name} of {@code fileSize} bytes: the page address
     * is the start of the named segment and the file is exactly one segment long.
     */
    public void checkMatches(WalFileName name, long fileSize) throws InvalidWalFileException {
        if (fileSize != segmentSize) {
            throw new InvalidWalFileException("file is " + fileSize + " bytes but its header says segments are "
                    + segmentSize + " bytes (truncated or padded segment)");
        }
        if (name.segmentInLog() >= name.segmentsPerLog(segmentSize)) {
            throw new InvalidWalFileException("name " + name.name() + " is not a valid segment for "
                    + segmentSize + "-byte segments");
        }
        long expectedAddress = name.segmentNumber(segmentSize) * segmentSize;
        if (pageAddress != expectedAddress) {
            throw new InvalidWalFileException("header is for WAL position " + lsn(pageAddress)
                    + " but " + name.name() + " starts at " + lsn(expectedAddress) + " (file renamed or copied over?)");
        }
    }

    static String lsn(long position) {
        return Long.toHexString(position >>> 32).toUpperCase() + "/" + Long.toHexString(position & 0xFFFF_FFFFL).toUpperCase();
    }
}
