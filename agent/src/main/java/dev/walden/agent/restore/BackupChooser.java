package dev.walden.agent.restore;

import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.wal.TimelineHistory;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

/**
 * Which backup a restore starts from: by default the newest complete backup that can reach the target, that is,
 * one that ended before it and lies on the target timeline's history. A pure function of the catalog.
 */
public final class BackupChooser {
    private BackupChooser() {}

    /** The backup chosen and, in words, why. */
    public record Choice(BackupSummary backup, String reason) {}

    /**
     * @param complete the complete backups, oldest first
     * @param history the target timeline's history
     */
    public static Choice choose(List<BackupSummary> complete, RecoveryTarget target, TimelineHistory history, ZoneId zone)
            throws RestoreException {
        if (complete.isEmpty()) {
            throw new RestoreException("the repository has no complete backup to restore. HINT: take one with walden backup");
        }
        List<BackupSummary> onHistory = complete.stream()
                .filter(b -> history.contains(b.timeline(), b.stopLsn().value())).toList();
        if (onHistory.isEmpty()) {
            throw new RestoreException("no complete backup lies on the history of timeline " + history.timeline()
                    + ". HINT: choose another --target-timeline, or one backup with --backup");
        }
        Optional<BackupSummary> chosen = Optional.empty();
        for (BackupSummary backup : onHistory) {
            if (reaches(backup, target)) {
                chosen = Optional.of(backup);
            }
        }
        if (chosen.isEmpty()) {
            BackupSummary earliest = onHistory.get(0);
            throw new RestoreException("the target " + describe(target) + " is earlier than the end of every backup on timeline "
                    + history.timeline() + "; the earliest, " + earliest.id() + ", is consistent only from "
                    + ManifestTime.of(earliest, zone) + " (" + earliest.stopLsn() + ")."
                    + " HINT: backup " + earliest.id() + " serves targets from then on; an earlier point cannot be recovered");
        }
        BackupSummary backup = chosen.get();
        String why = switch (target) {
            case RecoveryTarget.Latest latest -> "the newest complete backup on timeline " + history.timeline() + "'s history";
            case RecoveryTarget.Immediate immediate -> "the newest complete backup; recovery stops once it is consistent";
            case RecoveryTarget.Time time -> "the newest complete backup that ended before " + time.value();
            case RecoveryTarget.Location location -> "the newest complete backup that ended before " + location.value();
            case RecoveryTarget.Xid xid -> "the newest complete backup (where transaction " + xid.xid()
                    + " lies cannot be known before replay; if recovery says the target was not reached, pick an older one with --backup)";
            case RecoveryTarget.Name name -> "the newest complete backup (where restore point '" + name.name()
                    + "' lies cannot be known before replay; if recovery says the target was not reached, pick an older one with --backup)";
        };
        return new Choice(backup, why + " (" + TransferProgress.size(backup.bytes()) + ", ended " + ManifestTime.of(backup, zone) + ")");
    }

    /** Whether recovery from {@code backup} can reach {@code target}. */
    static boolean reaches(BackupSummary backup, RecoveryTarget target) {
        return switch (target) {
            case RecoveryTarget.Time time -> backup.stopped().isBefore(time.instant());
            case RecoveryTarget.Location location -> backup.stopLsn().compareTo(location.lsn()) <= 0;
            default -> true;
        };
    }

    static String describe(RecoveryTarget target) {
        return target.setting().isEmpty() ? "the end of the archive" : target.setting() + " = '" + target.value() + "'";
    }

    /** Times as people read them, in the agent's zone. */
    static final class ManifestTime {
        static String of(BackupSummary backup, ZoneId zone) {
            return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssxxx").format(backup.stopped().atZone(zone));
        }
    }
}
