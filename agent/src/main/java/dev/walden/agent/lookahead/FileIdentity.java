package dev.walden.agent.lookahead;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Which file, in which state: device and inode, size, modification and status-change times (nanoseconds). Two
 * equal identities taken at different moments mean nobody wrote, truncated, replaced or renamed over the file in
 * between: any of those changes the inode, the size or ctime. PostgreSQL writes a segment completely before it
 * creates the segment's .ready file and never changes it afterwards (a recycled segment gets a new name), so an
 * unchanged identity proves that the file handed over is the one that was uploaded.
 */
record FileIdentity(long device, long inode, long size, long modifiedNanos, long changedNanos) {

    static FileIdentity of(Path file) throws IOException {
        Map<String, Object> unix = Files.readAttributes(file, "unix:dev,ino,size,lastModifiedTime,ctime");
        return new FileIdentity((Long) unix.get("dev"), (Long) unix.get("ino"), (Long) unix.get("size"),
                nanos(unix.get("lastModifiedTime")), nanos(unix.get("ctime")));
    }

    private static long nanos(Object time) {
        return ((FileTime) time).to(TimeUnit.NANOSECONDS);
    }

    /**
     * The identity as GNU {@code stat -L -c '%d %i %s %.9Y %.9Z'} prints it, so that bin/walden can compare a file
     * with an acknowledgement without starting a JVM (docs/architecture.md, "push fast path").
     */
    String asStatLine() {
        return device + " " + inode + " " + size + " " + seconds(modifiedNanos) + " " + seconds(changedNanos);
    }

    private static String seconds(long nanos) {
        String fraction = Long.toString(1_000_000_000L + Math.floorMod(nanos, 1_000_000_000L)).substring(1);
        return Math.floorDiv(nanos, 1_000_000_000L) + "." + fraction;
    }
}
