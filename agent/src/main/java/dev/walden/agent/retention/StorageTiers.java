package dev.walden.agent.retention;

import java.util.List;
import java.util.Optional;

/**
 * A repository's storage classes for backups kept only by the monthly or only by the yearly rule
 * (storage-class-monthly, storage-class-yearly): such a backup's data objects are moved there by a server-side
 * copy when the rule that keeps it becomes a cold one. WAL, manifests and commit records never move.
 */
public record StorageTiers(Optional<String> monthly, Optional<String> yearly) {
    public static final StorageTiers NONE = new StorageTiers(Optional.empty(), Optional.empty());

    /** Classes whose objects must be retrieved (hours) before they can be read; GLACIER_IR and the rest read at once. */
    public static final List<String> ARCHIVE_CLASSES = List.of("GLACIER", "DEEP_ARCHIVE");

    /** The classes storage-class-* accepts: S3's, as its API names them. */
    public static final List<String> CLASSES = List.of("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
            "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE");

    public boolean enabled() {
        return monthly.isPresent() || yearly.isPresent();
    }

    /**
     * Where a kept backup belongs by the rules that keep it: the monthly class when nothing warmer than the monthly rule
     * keeps it, the yearly class when only the yearly rule does; empty when it stays where it is.
     *
     * @param reasons why retention keeps it ({@link ExpiryPlan.BackupVerdict#reasons})
     */
    public Optional<String> classFor(List<String> reasons) {
        if (reasons.isEmpty()) {
            return Optional.empty();
        }
        boolean monthlyRule = false;
        for (String reason : reasons) {
            if (reason.startsWith(RetentionRules.MONTHLY + " ")) {
                monthlyRule = true;
            } else if (!reason.startsWith(RetentionRules.YEARLY + " ")) {
                return Optional.empty();  // a warmer rule (daily, weekly, a hold, the window, an incremental) keeps it
            }
        }
        return monthlyRule ? monthly : yearly;
    }
}
