package dev.walden.agent.retention;

import dev.walden.agent.backup.ArchivedTimelines;
import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupException;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.backup.Hold;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.wal.InvalidWalFileNameException;
import dev.walden.agent.wal.TimelineHistory;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Carries out retention: under the backup lock, reads the catalog, the holds and the archived WAL, asks
 * {@link RetentionRules} what goes, and deletes it in an order that survives a crash at any point: expired backups
 * first, children before parents and every commit record before any object, then leftovers, then WAL oldest first, so that what remains
 * of the WAL is always an unbroken run and never a backup that is listed but cannot be restored.
 */
public final class Expiry {
    private static final Logger LOG = Logger.getLogger(Expiry.class.getName());
    /** Expired WAL files removed per batch: one S3 DeleteObjects call, and one progress line. */
    static final int WAL_DELETE_BATCH = 1000;

    private final BaseBackups backups;
    private final RetentionPolicy policy;
    private final Clock clock;

    public Expiry(BaseBackups backups, RetentionPolicy policy, Clock clock) {
        this.backups = backups;
        this.policy = policy;
        this.clock = clock;
    }

    public RetentionPolicy policy() {
        return policy;
    }

    /**
     * What an expiry decided and, unless it was a dry run, did.
     *
     * @param backupBytes what each backup (and leftover) takes in the repository, by id
     */
    public record Outcome(ExpiryPlan plan, Map<String, Long> backupBytes, boolean dryRun, long freedBytes) {
        public static Outcome empty(RetentionPolicy policy, java.time.Instant now, boolean dryRun) {
            return new Outcome(new ExpiryPlan(policy, now, List.of(), List.of(), List.of(), Optional.empty(), Optional.empty()),
                    Map.of(), dryRun, 0);
        }
    }

    /** @param progress told what is being deleted, for long expiries */
    public Outcome run(boolean dryRun, java.util.function.Consumer<String> progress)
            throws IOException, BackupException, BackupCatalog.CatalogException, RepositoryFormatException {
        Optional<BackupCatalog> found = backups.catalog();
        if (found.isEmpty()) {
            return Outcome.empty(policy, clock.instant(), dryRun);
        }
        BackupCatalog catalog = found.get();
        return backups.exclusive("expire", catalog, () -> expire(catalog, dryRun, progress));
    }

    private Outcome expire(BackupCatalog catalog, boolean dryRun, java.util.function.Consumer<String> progress)
            throws IOException, BackupException, BackupCatalog.CatalogException {
        BackupCatalog.Listing listing = catalog.list();
        List<Hold> holds = catalog.holds();
        Storage storage = catalog.objects().storage();
        String walPrefix = Long.toUnsignedString(catalog.systemIdentifier()) + "/wal/";
        List<ArchivedFile> wal = new ArrayList<>();
        storage.forEachObject(walPrefix, object -> {  // streamed: only the compact list of names and sizes is held
            String name = object.key().substring(object.key().lastIndexOf('/') + 1);
            try {
                wal.add(new ArchivedFile(WalFileName.parse(name), object.size()));
            } catch (InvalidWalFileNameException notWal) {
                // not a WAL file; retention never touches what it does not know
            }
        });
        wal.sort(Comparator.comparing(f -> f.name().name()));
        Map<Long, TimelineHistory> histories = new HashMap<>();
        ArchivedTimelines timelines = backups.timelines();
        for (ArchivedFile file : wal) {
            long timeline = file.name().timeline();
            if (!histories.containsKey(timeline)) {
                try {
                    histories.put(timeline, timelines.history(timeline));
                } catch (ArchivedTimelines.CatalogReadException e) {
                    throw new BackupException("cannot expire: " + e.getMessage() + "; without it retention cannot tell which WAL"
                            + " the backups need, so nothing was deleted. HINT: walden verify names what is damaged");
                }
            }
        }
        ExpiryPlan plan = RetentionRules.plan(policy, clock.instant(), listing.complete(), listing.incomplete(), holds, wal,
                timeline -> histories.getOrDefault(timeline, TimelineHistory.root(timeline)));
        Map<String, Long> sizes = catalog.storedBytes();
        long freed = 0;
        for (BackupSummary b : plan.expiredBackups()) {
            freed += sizes.getOrDefault(b.id(), 0L);
        }
        for (String leftover : plan.leftovers()) {
            freed += sizes.getOrDefault(leftover, 0L);
        }
        List<ArchivedFile> expiredWal = new ArrayList<>(plan.expiredWal());
        expiredWal.sort(Comparator.comparing((ArchivedFile f) -> f.name().timeline()).thenComparing(f -> f.name().name()));
        for (ArchivedFile file : expiredWal) {
            freed += file.storedBytes();
        }
        if (dryRun || !policy.enabled()) {
            return new Outcome(plan, sizes, dryRun, freed);
        }
        catalog.delete(plan.expiredBackups(), progress);
        for (BackupSummary b : plan.expiredBackups()) {
            LOG.info("expired backup " + b.id() + " (" + b.type().label + ", " + sizes.getOrDefault(b.id(), 0L) + " bytes)");
        }
        for (String leftover : plan.leftovers()) {
            progress.accept("removing the interrupted backup " + leftover);
            catalog.removeIncomplete(leftover);
            LOG.info("removed what the interrupted backup " + leftover + " left");
        }
        // Every expired file lies outside the recovery window, so the order they go in does not matter: in batches.
        for (int from = 0; from < expiredWal.size(); from += WAL_DELETE_BATCH) {
            List<String> keys = expiredWal.subList(from, Math.min(expiredWal.size(), from + WAL_DELETE_BATCH)).stream()
                    .map(file -> dev.walden.agent.repository.Repository.objectKey(catalog.systemIdentifier(), file.name())).toList();
            storage.deleteAll(keys);
            progress.accept("expired " + (from + keys.size()) + " of " + expiredWal.size() + " WAL files");
        }
        if (!expiredWal.isEmpty()) {
            LOG.info("expired " + expiredWal.size() + " WAL files, " + expiredWal.get(0).name().name() + " .. "
                    + expiredWal.get(expiredWal.size() - 1).name().name());
        }
        return new Outcome(plan, sizes, false, freed);
    }
}
