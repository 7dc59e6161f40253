package dev.walden.agent.retention;

import dev.walden.agent.wal.WalFileName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Gathers judged WAL files into the runs a report prints ({@link ExpiryPlan.WalRange}), in whatever order a listing
 * hands them over: one entry per timeline and verdict region, so it costs what the rules have, not what the archive
 * holds. Runs are the regions that hold files, in order, with neighbours of the same verdict joined.
 */
public final class WalTally {
    private record Key(long timeline, int region) {}

    private static final class Run {
        String first;
        String last;
        long files;
        long bytes;
        final WalJudge.Verdict verdict;

        Run(WalJudge.Verdict verdict) {
            this.verdict = verdict;
        }
    }

    private final TreeMap<Key, Run> runs = new TreeMap<>(Comparator.comparingLong(Key::timeline).thenComparingInt(Key::region));

    public void add(WalFileName name, long storedBytes, WalJudge.Verdict verdict) {
        Run run = runs.computeIfAbsent(new Key(name.timeline(), verdict.region()), k -> new Run(verdict));
        if (run.first == null || name.name().compareTo(run.first) < 0) {
            run.first = name.name();
        }
        if (run.last == null || name.name().compareTo(run.last) > 0) {
            run.last = name.name();
        }
        run.files++;
        run.bytes += storedBytes;
    }

    public List<ExpiryPlan.WalRange> ranges() {
        List<ExpiryPlan.WalRange> ranges = new ArrayList<>();
        for (var entry : runs.entrySet()) {
            Run run = entry.getValue();
            long timeline = entry.getKey().timeline();
            ExpiryPlan.WalRange previous = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
            if (previous != null && previous.timeline() == timeline && previous.kept() == run.verdict.kept()
                    && previous.reason().equals(run.verdict.reason())) {
                ranges.set(ranges.size() - 1, new ExpiryPlan.WalRange(timeline, previous.first(), run.last, previous.files() + run.files,
                        previous.storedBytes() + run.bytes, previous.kept(), previous.reason()));
            } else {
                ranges.add(new ExpiryPlan.WalRange(timeline, run.first, run.last, run.files, run.bytes, run.verdict.kept(),
                        run.verdict.reason()));
            }
        }
        return ranges;
    }
}
