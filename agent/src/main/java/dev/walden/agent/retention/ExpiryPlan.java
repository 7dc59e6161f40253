package dev.walden.agent.retention;

import dev.walden.agent.backup.BackupSummary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What retention decided: for every backup and every archived WAL file, kept or not and by which rule. A pure value,
 * computed by {@link RetentionRules#plan}, carried out by {@link Expiry}, printed by {@code walden expire}.
 *
 * @param windowFrom the earliest moment a point-in-time restore can reach after expiry (the window's anchor backup's
 *                   end), or empty when no backup anchors one
 * @param leftovers backups that never completed (interrupted): always removed
 */
public record ExpiryPlan(RetentionPolicy policy, Instant now, List<BackupVerdict> backups, List<String> leftovers,
                         List<WalVerdict> wal, Optional<Instant> windowFrom, Optional<String> windowAnchor) {

    public ExpiryPlan {
        backups = List.copyOf(backups);
        leftovers = List.copyOf(leftovers);
        wal = List.copyOf(wal);
    }

    /** One backup: kept with every rule that keeps it, or expired with why no rule does. */
    public record BackupVerdict(BackupSummary backup, boolean kept, List<String> reasons) {
        public BackupVerdict {
            reasons = List.copyOf(reasons);
        }
    }

    /** One archived WAL file and the rule that keeps it, or why it goes. */
    public record WalVerdict(ArchivedFile file, boolean kept, String reason) {}

    /** A run of WAL files on one timeline that share a verdict, for reports. */
    public record WalRange(long timeline, String first, String last, int files, long storedBytes, boolean kept, String reason) {}

    public List<BackupSummary> expiredBackups() {
        return backups.stream().filter(v -> !v.kept()).map(BackupVerdict::backup).toList();
    }

    public List<ArchivedFile> expiredWal() {
        return wal.stream().filter(v -> !v.kept()).map(WalVerdict::file).toList();
    }

    /** The WAL verdicts grouped into runs, timeline by timeline, in name order. */
    public List<WalRange> walRanges() {
        List<WalVerdict> sorted = new ArrayList<>(wal);
        sorted.sort(java.util.Comparator.comparing((WalVerdict v) -> v.file().name().timeline())
                .thenComparing(v -> v.file().name().name()));
        List<WalRange> ranges = new ArrayList<>();
        WalRange open = null;
        for (WalVerdict v : sorted) {
            var name = v.file().name();
            if (open != null && open.timeline() == name.timeline() && open.kept() == v.kept() && open.reason().equals(v.reason())) {
                open = new WalRange(open.timeline(), open.first(), name.name(), open.files() + 1,
                        open.storedBytes() + v.file().storedBytes(), open.kept(), open.reason());
                ranges.set(ranges.size() - 1, open);
            } else {
                open = new WalRange(name.timeline(), name.name(), name.name(), 1, v.file().storedBytes(), v.kept(), v.reason());
                ranges.add(open);
            }
        }
        return ranges;
    }
}
