package dev.walden.agent.wal;

/**
 * A file name PostgreSQL archives or asks for, parsed strictly. Anything else, including every path trick, is
 * refused: the name is later part of a storage key, so only these shapes may ever reach storage.
 *
 * <ul>
 *   <li>segment: {@code TTTTTTTTXXXXXXXXYYYYYYYY} (24 upper-case hex digits: timeline, log, segment)</li>
 *   <li>partial segment: a segment name plus {@code .partial}</li>
 *   <li>backup history: a segment name, {@code .}, 8 hex digits (offset) and {@code .backup}</li>
 *   <li>timeline history: {@code TTTTTTTT.history}</li>
 * </ul>
 *
 * @param name the file name as given
 * @param kind what it names
 * @param timeline the timeline the file belongs to (never 0)
 */
public record WalFileName(String name, WalFileKind kind, long timeline) {
    private static final int SEGMENT_NAME_LENGTH = 24;

    public static WalFileName parse(String name) {
        if (name == null) {
            throw new InvalidWalFileNameException("no file name given");
        }
        WalFileKind kind;
        if (name.length() == SEGMENT_NAME_LENGTH && isHex(name, 0, SEGMENT_NAME_LENGTH)) {
            kind = WalFileKind.SEGMENT;
        } else if (name.length() == SEGMENT_NAME_LENGTH + 8 && name.endsWith(".partial") && isHex(name, 0, SEGMENT_NAME_LENGTH)) {
            kind = WalFileKind.PARTIAL_SEGMENT;
        } else if (name.length() == SEGMENT_NAME_LENGTH + 16 && name.endsWith(".backup") && isHex(name, 0, SEGMENT_NAME_LENGTH)
                && name.charAt(SEGMENT_NAME_LENGTH) == '.' && isHex(name, SEGMENT_NAME_LENGTH + 1, SEGMENT_NAME_LENGTH + 9)) {
            kind = WalFileKind.BACKUP_LABEL;
        } else if (name.length() == 16 && name.endsWith(".history") && isHex(name, 0, 8)) {
            kind = WalFileKind.TIMELINE_HISTORY;
        } else {
            throw new InvalidWalFileNameException("'" + printable(name)
                    + "' is not a WAL segment, .partial, .backup or .history file name");
        }
        long timeline = Long.parseLong(name, 0, 8, 16);
        if (timeline == 0) {
            throw new InvalidWalFileNameException("'" + name + "' names timeline 0, which PostgreSQL never uses");
        }
        return new WalFileName(name, kind, timeline);
    }

    /** The log (high 32 bits) part of a segment name; only for kinds with WAL pages and backup labels. */
    public long logId() {
        return Long.parseLong(name, 8, 16, 16);
    }

    /** The segment-within-log part of a segment name. */
    public long segmentInLog() {
        return Long.parseLong(name, 16, 24, 16);
    }

    /** The segment number for a given segment size, as PostgreSQL's XLogFromFileName computes it. */
    public long segmentNumber(long segmentSize) {
        long segmentsPerLog = 0x1_0000_0000L / segmentSize;
        return logId() * segmentsPerLog + segmentInLog();
    }

    public long segmentsPerLog(long segmentSize) {
        return 0x1_0000_0000L / segmentSize;
    }

    private static boolean isHex(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    /** Quotes a hostile name safely for a log line: at most 64 characters, control characters escaped. */
    static String printable(String name) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < name.length() && i < 64; i++) {
            char c = name.charAt(i);
            out.append(c < 0x20 || c == 0x7F ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return name.length() > 64 ? out + "..." : out.toString();
    }
}
