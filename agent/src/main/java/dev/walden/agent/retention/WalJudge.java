package dev.walden.agent.retention;

import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.wal.TimelineHistory;
import dev.walden.agent.wal.WalFileKind;
import dev.walden.agent.wal.WalFileName;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import dev.walden.agent.backup.BackupException;
import java.io.IOException;

/**
 * Retention's verdict on one archived WAL file (docs/runbook.md "Retention"): every timeline history is kept; a
 * segment is kept from the window's anchor's start onward on the timelines that descend from it, and from every other
 * kept backup's start to its stop; everything else goes. The verdict depends only on the file's name, so a listing of
 * any size is judged as it streams.
 *
 * <p>On one timeline the verdict changes only where a kept backup's WAL starts or ends, so it is worked out once per
 * stretch between those points (a region) and a segment is judged by a binary search; the region is also what a tally
 * of the archive groups by, whatever order the listing comes in.
 */
public final class WalJudge {

    /** A verdict and the region of the timeline it holds for ({@code -1}: timeline histories). */
    public record Verdict(boolean kept, String reason, int region) {}

    /** Where each timeline's history comes from (a timeline without one has no ancestors); reading it may fail. */
    public interface Histories {
        TimelineHistory of(long timeline) throws IOException, BackupException;
    }

    private final boolean enabled;
    private final List<BackupSummary> kept;
    private final Optional<BackupSummary> anchor;
    private final Histories histories;
    private final Map<Long, Regions> timelines = new HashMap<>();

    WalJudge(boolean enabled, List<BackupSummary> kept, Optional<BackupSummary> anchor, Histories histories) {
        this.enabled = enabled;
        this.kept = List.copyOf(kept);
        this.anchor = anchor;
        this.histories = histories;
    }

    /** @throws IOException, BackupException when the history of the file's timeline, read once, cannot be */
    public Verdict verdict(WalFileName name) throws IOException, BackupException {
        if (!enabled) {
            return new Verdict(true, "no retention policy set", 0);
        }
        if (name.kind() == WalFileKind.TIMELINE_HISTORY) {
            return new Verdict(true, "timeline history", -1);
        }
        if (anchor.isEmpty()) {
            return new Verdict(true, "no complete backup yet", 0);
        }
        Regions regions = timelines.get(name.timeline());
        if (regions == null) {
            regions = regions(name.timeline());
            timelines.put(name.timeline(), regions);
        }
        long segment = name.segmentNumber(anchor.get().walSegmentSize());
        int found = Arrays.binarySearch(regions.starts, segment);
        int region = found >= 0 ? found + 1 : -(found + 1);
        return regions.verdicts[region];
    }

    /** Region 0 lies before the first point; region r begins at {@code starts[r - 1]}. */
    private record Regions(long[] starts, Verdict[] verdicts) {}

    private Regions regions(long timeline) throws IOException, BackupException {
        TimelineHistory history = histories.of(timeline);
        long segmentSize = anchor.get().walSegmentSize();
        TreeSet<Long> points = new TreeSet<>();
        for (BackupSummary b : kept) {
            if (history.contains(b.timeline(), b.startLsn().value())) {
                points.add(first(b, segmentSize));
                points.add(last(b, segmentSize) + 1);
            }
        }
        long[] starts = points.stream().mapToLong(Long::longValue).toArray();
        Verdict[] verdicts = new Verdict[starts.length + 1];
        for (int r = 0; r <= starts.length; r++) {
            long representative = r == 0 ? (starts.length == 0 ? 0 : starts[0] - 1) : starts[r - 1];
            verdicts[r] = judge(representative, history, segmentSize, r);
        }
        return new Regions(starts, verdicts);
    }

    private Verdict judge(long segment, TimelineHistory history, long segmentSize, int region) {
        Instant anchorStopped = anchor.get().stopped();
        String reason = null;
        for (BackupSummary b : kept) {
            if (!history.contains(b.timeline(), b.startLsn().value())) {
                continue;  // another branch of history: this backup never replays this timeline's WAL
            }
            boolean window = !b.stopped().isBefore(anchorStopped);
            if (segment >= first(b, segmentSize) && (window || segment <= last(b, segmentSize))) {
                reason = window ? "point-in-time window (from backup " + b.id() + ")"
                        : "needed by backup " + b.id() + " to reach its consistent point";
                if (window) {
                    break;
                }
            }
        }
        return new Verdict(reason != null, reason != null ? reason
                : "before the point-in-time window and outside every kept backup's range", region);
    }

    private static long first(BackupSummary b, long segmentSize) {
        return Long.divideUnsigned(b.startLsn().value(), segmentSize);
    }

    private static long last(BackupSummary b, long segmentSize) {
        return Long.divideUnsigned(b.stopLsn().value() - 1, segmentSize);
    }
}
