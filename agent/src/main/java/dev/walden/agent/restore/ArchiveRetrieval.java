package dev.walden.agent.restore;

import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.retention.StorageTiers;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Before a restore reads a backup kept in an archive class (GLACIER, DEEP_ARCHIVE), each of its data objects must be
 * retrieved by S3, which takes hours. This asks for every object still archived, and says how long to wait; run again,
 * it finds them retrieving or readable and lets the restore go on. Backups in classes read at once are not looked at.
 */
public final class ArchiveRetrieval {
    private static final Logger LOG = Logger.getLogger(ArchiveRetrieval.class.getName());

    /** How long a retrieved copy stays readable, and S3's retrieval tier (Expedited, Standard, Bulk). */
    public record Settings(int days, String speed) {
        public static final Settings DEFAULT = new Settings(7, "Standard");
    }

    /** Where the backups of one restore stand: ready to read, or what was asked for and how long it takes. */
    public record Report(boolean ready, String message) {}

    private ArchiveRetrieval() {}

    /**
     * @param chain the backup to restore and every backup it needs
     * @param request whether to ask for the objects still archived (a restore, --prepare) or only look (a dry look)
     */
    public static Report check(BackupCatalog catalog, List<BackupSummary> chain, Settings settings, boolean request) throws IOException {
        long readable = 0;
        long retrieving = 0;
        long requested = 0;
        List<String> classes = new ArrayList<>();
        for (BackupSummary backup : chain) {
            Optional<String> storageClass = catalog.storageClass(backup.id());
            if (storageClass.isEmpty() || !StorageTiers.ARCHIVE_CLASSES.contains(storageClass.get())) {
                continue;
            }
            BackupCatalog.Retrieval state = catalog.retrieve(backup.id(), request, settings.days(), settings.speed());
            readable += state.readable();
            retrieving += state.retrieving();
            requested += state.requestedNow();
            if (!state.ready() && !classes.contains(storageClass.get())) {
                classes.add(storageClass.get());
            }
            LOG.info("backup " + backup.id() + " in " + storageClass.get() + ": " + state.readable() + " objects readable, "
                    + state.retrieving() + " being retrieved (" + state.requestedNow() + " asked for now)");
        }
        if (retrieving == 0) {
            return new Report(true, readable == 0 ? "" : readable + " archived objects are retrieved and readable");
        }
        String from = String.join(" and ", classes);
        return new Report(false, String.format("%,d objects %s from %s%s; typical retrieval %s (retrieval-speed %s); each stays"
                        + " readable for %d days once retrieved (retrieval-days). Run the same command again to continue",
                retrieving, requested == retrieving ? "requested" : "being retrieved (" + String.format("%,d", requested) + " requested now)",
                from, readable > 0 ? ", " + String.format("%,d", readable) + " already readable" : "", typical(classes, settings.speed()),
                settings.speed().toLowerCase(java.util.Locale.ROOT), settings.days()));
    }

    /** What AWS documents for its retrieval tiers. */
    private static String typical(List<String> classes, String speed) {
        boolean deep = classes.contains("DEEP_ARCHIVE");
        return switch (speed) {
            case "Expedited" -> deep ? "12 h (DEEP_ARCHIVE has no expedited retrieval)" : "1-5 min";
            case "Bulk" -> deep ? "48 h" : "5-12 h";
            default -> deep ? "12 h" : "3-5 h";
        };
    }
}
