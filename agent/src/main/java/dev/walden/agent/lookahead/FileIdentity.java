package dev.walden.agent.lookahead;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Which file, in which state: device and inode, size, modification and status-change times (nanoseconds). Two
 * equal identities taken at different moments mean nobody wrote, truncated, replaced or renamed over the file in
 * between: any of those changes the inode, the size or ctime. PostgreSQL writes a segment completely before it
 * creates the segment's .ready file and never changes it afterwards (a recycled segment gets a new name), so an
 * unchanged identity proves that the file handed over is the one that was uploaded.
 */
record FileIdentity(Object device, Object inode, long size, Object modified, Object changed) {

    static FileIdentity of(Path file) throws IOException {
        Map<String, Object> unix = Files.readAttributes(file, "unix:dev,ino,size,lastModifiedTime,ctime");
        return new FileIdentity(unix.get("dev"), unix.get("ino"), (Long) unix.get("size"),
                unix.get("lastModifiedTime"), unix.get("ctime"));
    }
}
