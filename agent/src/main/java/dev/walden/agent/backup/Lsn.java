package dev.walden.agent.backup;

/** A WAL location, written by PostgreSQL as {@code X/Y} (two hex halves). Ordered as unsigned 64-bit values. */
public record Lsn(long value) implements Comparable<Lsn> {
    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not an LSN like 0/3000060");
        }
        try {
            long high = Long.parseUnsignedLong(text.substring(0, slash), 16);
            long low = Long.parseUnsignedLong(text.substring(slash + 1), 16);
            if (high > 0xFFFFFFFFL || low > 0xFFFFFFFFL) {
                throw new NumberFormatException();
            }
            return new Lsn(high << 32 | low);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not an LSN like 0/3000060");
        }
    }

    /** The name of the WAL segment that holds this location on {@code timeline}. */
    public String segmentName(long timeline, long segmentSize) {
        return segmentName(timeline, Long.divideUnsigned(value, segmentSize), segmentSize);
    }

    /**
     * The segment holding the last byte before this location: where a record that ends here lies (PostgreSQL names
     * a backup's stop segment this way, XLByteToPrevSeg).
     */
    public String previousSegmentName(long timeline, long segmentSize) {
        return segmentName(timeline, Long.divideUnsigned(value - 1, segmentSize), segmentSize);
    }

    public static String segmentName(long timeline, long segmentNumber, long segmentSize) {
        long perLog = 0x100000000L / segmentSize;
        return String.format("%08X%08X%08X", timeline, segmentNumber / perLog, segmentNumber % perLog);
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    }
}
