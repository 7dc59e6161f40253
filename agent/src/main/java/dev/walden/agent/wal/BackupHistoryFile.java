package dev.walden.agent.wal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A backup history file, {@code SEGMENT.OFFSET.backup}, which pg_backup_stop archives: {@code KEY: value} lines that
 * start with {@code START WAL LOCATION: X/X (file SEGMENT)} and name a {@code STOP WAL LOCATION}. Checked on push so
 * that only a file PostgreSQL could have written is archived under that name.
 */
public final class BackupHistoryFile {
    private static final Pattern START = Pattern.compile("START WAL LOCATION: ([0-9A-F]{1,8})/([0-9A-F]{1,8}) \\(file ([0-9A-F]{24})\\)");
    private static final Pattern STOP = Pattern.compile("STOP WAL LOCATION: [0-9A-F]{1,8}/[0-9A-F]{1,8} \\(file [0-9A-F]{24}\\)");

    private BackupHistoryFile() {}

    /**
     * @param name the file's name, e.g. {@code 000000010000000000000002.00000028.backup}
     * @throws IllegalArgumentException what is wrong, for the DBA
     */
    public static void check(String name, String text) {
        String[] lines = text.split("\n");
        Matcher start = START.matcher(lines[0]);
        if (!start.matches()) {
            throw new IllegalArgumentException(name + " does not start with 'START WAL LOCATION: X/X (file SEGMENT)', as a backup"
                    + " history file written by pg_backup_stop does");
        }
        if (!name.startsWith(start.group(3) + ".")) {
            throw new IllegalArgumentException(name + " says its backup started in " + start.group(3) + ", which its name does not");
        }
        String offset = name.substring(25, name.indexOf('.', 25));
        long startOffset = Long.parseUnsignedLong(start.group(2), 16);
        if (!offsetMatchesAnySegmentSize(Long.parseUnsignedLong(offset, 16), startOffset)) {
            throw new IllegalArgumentException(name + ": its offset " + offset + " is not where its START WAL LOCATION "
                    + start.group(1) + "/" + start.group(2) + " lies in its segment");
        }
        boolean stop = false;
        for (String line : lines) {
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
                    throw new IllegalArgumentException(name + " holds a control character; it is not a backup history file");
                }
            }
            stop |= STOP.matcher(line).matches();
        }
        if (!stop) {
            throw new IllegalArgumentException(name + " has no 'STOP WAL LOCATION' line; it is not a backup history file");
        }
    }

    /** The offset in the name is the start LSN modulo the segment size, a power of two from 1 MiB to 1 GiB. */
    private static boolean offsetMatchesAnySegmentSize(long offset, long startLow) {
        for (long size = 1L << 20; size <= 1L << 30; size <<= 1) {
            if ((startLow & (size - 1)) == offset) {
                return true;
            }
        }
        return false;
    }
}
