package dev.walden.agent.backup;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes and files done of a total known at the start (restore) or learnt as the work is listed (backup), and the line
 * a terminal shows for it: done, rate and ETA.
 */
public final class TransferProgress {
    private final AtomicLong totalBytes = new AtomicLong();
    private final AtomicLong totalFiles = new AtomicLong();
    private final long startedNanos = System.nanoTime();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong files = new AtomicLong();

    public TransferProgress(long totalBytes, long totalFiles) {
        this.totalBytes.set(totalBytes);
        this.totalFiles.set(totalFiles);
    }

    /** A total learnt as the work is listed ({@link #plan}). */
    public TransferProgress() {
        this(0, 0);
    }

    /** One more file of {@code size} bytes to do. */
    public void plan(long size) {
        totalBytes.addAndGet(size);
        totalFiles.incrementAndGet();
    }

    public void addBytes(long count) {
        bytes.addAndGet(count);
    }

    public void fileDone() {
        files.incrementAndGet();
    }

    public long bytes() {
        return bytes.get();
    }

    public double seconds() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    /** e.g. {@code 1.2 GB of 2.4 GB (50%), 1234/2500 files, 350 MB/s, ETA 4 s} */
    public String line(String what) {
        long done = bytes.get();
        long totalBytes = this.totalBytes.get();
        long totalFiles = this.totalFiles.get();
        double seconds = Math.max(seconds(), 0.001);
        double rate = done / seconds;
        String eta = rate > 0 && totalBytes > done ? ", ETA " + duration((totalBytes - done) / rate) : "";
        return what + ": " + size(done) + " of " + size(totalBytes) + " (" + (totalBytes == 0 ? 100 : done * 100 / totalBytes)
                + "%), " + files.get() + "/" + totalFiles + " files, " + size((long) rate) + "/s" + eta;
    }

    public static String size(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return String.format(value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value, units[unit]);
    }

    public static String duration(double seconds) {
        long s = Math.round(seconds);
        return s < 60 ? s + " s" : s < 3600 ? s / 60 + " min " + s % 60 + " s" : s / 3600 + " h " + s % 3600 / 60 + " min";
    }
}
