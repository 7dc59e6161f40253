package dev.walden.agent.wal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A timeline's history file, {@code TTTTTTTT.history}: one line per ancestor, {@code parentTLI switchpoint reason},
 * oldest first, where the switch point is the LSN at which the child timeline branched off that ancestor.
 * Timeline 1, the first of every cluster, has none.
 */
public record TimelineHistory(long timeline, List<Entry> ancestors) {
    /** One ancestor timeline and the location where it ended for this history. */
    public record Entry(long timeline, long switchLsn) {}

    public TimelineHistory {
        ancestors = List.copyOf(ancestors);
    }

    /** The history of a timeline that has no history file: timeline 1, or a cluster that never switched. */
    public static TimelineHistory root(long timeline) {
        return new TimelineHistory(timeline, List.of());
    }

    /**
     * Parses a history file's text as PostgreSQL's readTimeLineHistory does, and as strictly: comment and blank lines are
     * skipped; every other line is {@code parentTLI switchpoint [reason]}; parents strictly increase, each below this
     * timeline; switch points are {@code X/X} LSNs that never go back. A file that PostgreSQL would refuse ("syntax
     * error in history file", "invalid data in history file") is refused here, with the line named.
     *
     * @throws IllegalArgumentException what is wrong, for the DBA
     */
    public static TimelineHistory parse(long timeline, String text) {
        List<Entry> entries = new ArrayList<>();
        int number = 0;
        for (String raw : text.split("\n", -1)) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+", 3);
            String where = "the history file of timeline " + timeline + ", line " + number + " ('" + printable(line) + "')";
            if (fields.length < 2 || !fields[0].matches("[0-9]{1,10}") || !fields[1].matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")) {
                throw new IllegalArgumentException(where + " is not 'parentTLI switchpoint reason' as PostgreSQL writes it");
            }
            long parent = Long.parseLong(fields[0]);
            String[] lsn = fields[1].split("/");
            long switchLsn = Long.parseUnsignedLong(lsn[0], 16) << 32 | Long.parseUnsignedLong(lsn[1], 16);
            if (parent < 1 || parent >= timeline) {
                throw new IllegalArgumentException(where + ": timeline " + parent + " cannot be a parent of timeline " + timeline);
            }
            if (!entries.isEmpty()) {
                Entry previous = entries.get(entries.size() - 1);
                if (parent <= previous.timeline()) {
                    throw new IllegalArgumentException(where + ": timeline IDs must increase");
                }
                if (Long.compareUnsigned(switchLsn, previous.switchLsn()) < 0) {
                    throw new IllegalArgumentException(where + ": switch points must not go back");
                }
            }
            entries.add(new Entry(parent, switchLsn));
        }
        if (entries.isEmpty() && timeline > 1) {
            throw new IllegalArgumentException("the history file of timeline " + timeline + " names no parent timeline");
        }
        return new TimelineHistory(timeline, entries);
    }

    /** A line as it can be shown in a message: at most 60 characters, control characters as '?'. */
    static String printable(String line) {
        String cut = line.length() > 60 ? line.substring(0, 60) + "..." : line;
        return cut.codePoints().map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    /**
     * Where {@code ancestor} stops being part of this timeline's history: empty when it is this timeline (it has no
     * end yet), the switch point when it is an ancestor.
     *
     * @throws IllegalArgumentException when {@code ancestor} is not on this history at all
     */
    public Optional<Long> endOf(long ancestor) {
        if (ancestor == timeline) {
            return Optional.empty();
        }
        for (Entry entry : ancestors) {
            if (entry.timeline() == ancestor) {
                return Optional.of(entry.switchLsn());
            }
        }
        throw new IllegalArgumentException("timeline " + ancestor + " is not in the history of timeline " + timeline);
    }

    /** Whether a backup that ended at {@code stopLsn} on {@code backupTimeline} can recover onto this timeline. */
    public boolean contains(long backupTimeline, long stopLsn) {
        if (backupTimeline == timeline) {
            return true;
        }
        for (Entry entry : ancestors) {
            if (entry.timeline() == backupTimeline) {
                return Long.compareUnsigned(stopLsn, entry.switchLsn()) <= 0;
            }
        }
        return false;
    }
}
