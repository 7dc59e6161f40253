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

    /** Parses a history file's text; comment and blank lines are skipped, as PostgreSQL does. */
    public static TimelineHistory parse(long timeline, String text) {
        List<Entry> entries = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length < 2) {
                throw new IllegalArgumentException("timeline history of " + timeline + " has a malformed line: '" + line + "'");
            }
            long parent = Long.parseLong(fields[0]);
            String[] lsn = fields[1].split("/");
            if (lsn.length != 2) {
                throw new IllegalArgumentException("timeline history of " + timeline + " has a malformed switch point: '" + fields[1] + "'");
            }
            entries.add(new Entry(parent, Long.parseUnsignedLong(lsn[0], 16) << 32 | Long.parseUnsignedLong(lsn[1], 16)));
        }
        return new TimelineHistory(timeline, entries);
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
