package dev.walden.agent.retention;

import dev.walden.agent.backup.BackupSummary;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What retention decided: for every backup, kept or not and by which rule, and for the archived WAL, runs of files
 * that share a verdict. A pure value, computed by {@link RetentionRules#plan}, carried out by {@link Expiry}, printed
 * by {@code walden expire}. The WAL part holds runs, not files: a verdict per file comes from {@link #walJudge}, as a
 * listing streams, so that an archive of any size costs nothing here.
 *
 * @param walRanges  the archived WAL's runs, timeline by timeline in name order (empty until the archive was listed)
 * @param windowFrom the earliest moment a point-in-time restore can reach after expiry (the window's anchor backup's
 *                   end), or empty when no backup anchors one
 * @param leftovers backups that never completed (interrupted): always removed
 */
public record ExpiryPlan(RetentionPolicy policy, Instant now, List<BackupVerdict> backups, List<String> leftovers,
                         List<WalRange> walRanges, Optional<Instant> windowFrom, Optional<String> windowAnchor) {

    public ExpiryPlan {
        backups = List.copyOf(backups);
        leftovers = List.copyOf(leftovers);
        walRanges = List.copyOf(walRanges);
    }

    /** One backup: kept with every rule that keeps it, or expired with why no rule does. */
    public record BackupVerdict(BackupSummary backup, boolean kept, List<String> reasons) {
        public BackupVerdict {
            reasons = List.copyOf(reasons);
        }
    }

    /** A run of WAL files on one timeline that share a verdict, for reports. */
    public record WalRange(long timeline, String first, String last, long files, long storedBytes, boolean kept, String reason) {}

    public List<BackupSummary> expiredBackups() {
        return backups.stream().filter(v -> !v.kept()).map(BackupVerdict::backup).toList();
    }

    public List<BackupSummary> keptBackups() {
        return backups.stream().filter(BackupVerdict::kept).map(BackupVerdict::backup).toList();
    }

    /** The number of archived WAL files that expire. */
    public long expiredWalFiles() {
        return walRanges.stream().filter(r -> !r.kept()).mapToLong(WalRange::files).sum();
    }

    public long expiredWalBytes() {
        return walRanges.stream().filter(r -> !r.kept()).mapToLong(WalRange::storedBytes).sum();
    }

    /** The same plan with the archive's runs, once a listing has been tallied. */
    public ExpiryPlan withWalRanges(List<WalRange> ranges) {
        return new ExpiryPlan(policy, now, backups, leftovers, ranges, windowFrom, windowAnchor);
    }

    /** The verdict on each archived WAL file under this plan's kept backups and window. */
    public WalJudge walJudge(WalJudge.Histories histories) {
        Optional<BackupSummary> anchor = windowAnchor.flatMap(id -> backups.stream().map(BackupVerdict::backup)
                .filter(b -> b.id().equals(id)).findFirst());
        return new WalJudge(policy.enabled(), keptBackups(), anchor, histories);
    }
}
