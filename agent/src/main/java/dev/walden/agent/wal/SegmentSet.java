package dev.walden.agent.wal;

import java.util.TreeMap;

/**
 * A set of WAL segment numbers on one timeline, as a listing of an archive gathers them in any order: a bit per
 * segment in chunks of {@value #CHUNK_BITS} (512 bytes covering 64 GiB of 16 MiB segments), created only where
 * segments are. A million archived segments cost about 125 KiB, and a listing's order (S3 sorts, a directory walk
 * does not) does not change that, where a set of boxed numbers would cost some 60 MB.
 */
public final class SegmentSet {
    static final int CHUNK_BITS = 4096;
    private static final int WORDS = CHUNK_BITS / 64;

    private final TreeMap<Long, long[]> chunks = new TreeMap<>();
    private long size;

    public void add(long segment) {
        if (segment < 0) {
            throw new IllegalArgumentException("segment number " + segment);
        }
        long[] words = chunks.computeIfAbsent(segment / CHUNK_BITS, c -> new long[WORDS]);
        int bit = (int) (segment % CHUNK_BITS);
        long mask = 1L << (bit & 63);
        if ((words[bit >>> 6] & mask) == 0) {
            words[bit >>> 6] |= mask;
            size++;
        }
    }

    public boolean contains(long segment) {
        if (segment < 0) {
            return false;
        }
        long[] words = chunks.get(segment / CHUNK_BITS);
        int bit = (int) (segment % CHUNK_BITS);
        return words != null && (words[bit >>> 6] & (1L << (bit & 63))) != 0;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public long size() {
        return size;
    }

    /** The highest segment in the set; only when it is not empty. */
    public long last() {
        var entry = chunks.lastEntry();
        if (entry == null) {
            throw new java.util.NoSuchElementException("no segments");
        }
        long[] words = entry.getValue();
        for (int w = WORDS - 1; w >= 0; w--) {
            if (words[w] != 0) {
                return entry.getKey() * CHUNK_BITS + w * 64L + 63 - Long.numberOfLeadingZeros(words[w]);
            }
        }
        throw new IllegalStateException("empty chunk");
    }

    /** The lowest segment in the set at or above {@code from}, or -1 when there is none. */
    public long nextAtOrAfter(long from) {
        long start = Math.max(0, from);
        for (var entry : chunks.tailMap(start / CHUNK_BITS, true).entrySet()) {
            long base = entry.getKey() * CHUNK_BITS;
            long[] words = entry.getValue();
            int bit = base >= start ? 0 : (int) (start - base);
            for (int w = bit >>> 6; w < WORDS; w++) {
                long word = words[w];
                if (w == bit >>> 6) {
                    word &= -1L << (bit & 63);
                }
                if (word != 0) {
                    return base + w * 64L + Long.numberOfTrailingZeros(word);
                }
            }
        }
        return -1;
    }
}
