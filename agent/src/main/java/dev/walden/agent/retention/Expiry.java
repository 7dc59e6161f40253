package dev.walden.agent.retention;

import dev.walden.agent.backup.ArchivedTimelines;
import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupException;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.backup.Hold;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.repository.WalArchive;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
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
    private final StorageTiers tiers;

    public Expiry(BaseBackups backups, RetentionPolicy policy, Clock clock) {
        this(backups, policy, clock, StorageTiers.NONE);
    }

    /** @param tiers where backups kept only by the monthly or yearly rule are moved (S3 storage classes) */
    public Expiry(BaseBackups backups, RetentionPolicy policy, Clock clock, StorageTiers tiers) {
        this.backups = backups;
        this.policy = policy;
        this.clock = clock;
        this.tiers = tiers;
    }

    public RetentionPolicy policy() {
        return policy;
    }

    /**
     * What an expiry decided and, unless it was a dry run, did.
     *
     * @param backupBytes what each backup (and leftover) takes in the repository, by id
     */
    public record Outcome(ExpiryPlan plan, Map<String, Long> backupBytes, boolean dryRun, long freedBytes, List<Move> moves) {
        public Outcome(ExpiryPlan plan, Map<String, Long> backupBytes, boolean dryRun, long freedBytes) {
            this(plan, backupBytes, dryRun, freedBytes, List.of());
        }

        public static Outcome empty(RetentionPolicy policy, java.time.Instant now, boolean dryRun) {
            return new Outcome(new ExpiryPlan(policy, now, List.of(), List.of(), List.of(), Optional.empty(), Optional.empty()),
                    Map.of(), dryRun, 0);
        }
    }

    /**
     * A kept backup whose tier changed: its data objects moved (or, in a dry run, would move) to {@code to}.
     *
     * @param from the class it was moved to before; empty: where it was written
     */
    public record Move(String backup, Optional<String> from, String to, String rule, long objects) {}

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
        WalArchive archive = catalog.wal();
        ExpiryPlan plan = RetentionRules.plan(policy, clock.instant(), listing.complete(), listing.incomplete(), holds);
        WalJudge judge = plan.walJudge(histories());
        // The archive is judged as its listing streams: the tally holds a run per timeline and verdict, not a file each.
        WalTally tally = new WalTally();
        archive.<BackupException>forEach(file -> tally.add(file.name(), file.storedBytes(), judge.verdict(file.name())));
        plan = plan.withWalRanges(tally.ranges());
        Map<String, Long> sizes = catalog.storedBytes();
        long freed = plan.expiredWalBytes();
        for (BackupSummary b : plan.expiredBackups()) {
            freed += sizes.getOrDefault(b.id(), 0L);
        }
        for (String leftover : plan.leftovers()) {
            freed += sizes.getOrDefault(leftover, 0L);
        }
        if (dryRun || !policy.enabled()) {
            return new Outcome(plan, sizes, dryRun, freed, policy.enabled() ? moves(catalog, plan, true, progress) : List.of());
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
        // Every expired file lies outside the recovery window, so the order they go in does not matter: a second
        // listing, judged the same way, deletes them a batch at a time. WAL pushed since the first is newer, so kept.
        long expiredWal = plan.expiredWalFiles();
        if (expiredWal > 0) {
            List<WalFileName> batch = new ArrayList<>(WAL_DELETE_BATCH);
            long[] deleted = {0};
            archive.<BackupException>forEach(file -> {
                if (!judge.verdict(file.name()).kept()) {
                    batch.add(file.name());
                    if (batch.size() == WAL_DELETE_BATCH) {
                        deleteWal(archive, batch, deleted, expiredWal, progress);
                    }
                }
            });
            deleteWal(archive, batch, deleted, expiredWal, progress);
            plan.walRanges().stream().filter(r -> !r.kept()).forEach(r -> LOG.info("expired " + r.files() + " WAL files, "
                    + r.first() + " .. " + r.last()));
        }
        return new Outcome(plan, sizes, false, freed, moves(catalog, plan, false, progress));
    }

    /**
     * Moves each kept backup whose coldest keeping rule has a storage class to that class, by server-side copies;
     * after expiry, so nothing about to be deleted is moved.
     */
    private List<Move> moves(BackupCatalog catalog, ExpiryPlan plan, boolean dryRun, java.util.function.Consumer<String> progress)
            throws IOException {
        if (!tiers.enabled()) {
            return List.of();
        }
        List<Move> moves = new ArrayList<>();
        for (ExpiryPlan.BackupVerdict verdict : plan.backups()) {
            if (!verdict.kept()) {
                continue;
            }
            Optional<String> target = tiers.classFor(verdict.reasons());
            if (target.isEmpty()) {
                continue;
            }
            Optional<String> current = catalog.storageClass(verdict.backup().id());
            if (current.equals(target)) {
                continue;
            }
            String rule = verdict.reasons().get(0).split(" ")[0];
            if (dryRun) {
                moves.add(new Move(verdict.backup().id(), current, target.get(), rule, 0));
                continue;
            }
            progress.accept("moving backup " + verdict.backup().id() + " to " + target.get() + " (" + rule + ")");
            long moved = catalog.moveData(verdict.backup().id(), target.get());
            LOG.info("moved backup " + verdict.backup().id() + " (" + moved + " data objects) to storage class " + target.get()
                    + ": it is kept by the " + rule + " rule only");
            moves.add(new Move(verdict.backup().id(), current, target.get(), rule, moved));
        }
        return moves;
    }

    private static void deleteWal(WalArchive archive, List<WalFileName> batch, long[] deleted, long total,
                                  java.util.function.Consumer<String> progress) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        archive.deleteAll(List.copyOf(batch));
        deleted[0] += batch.size();
        batch.clear();
        progress.accept("expired " + deleted[0] + " of " + total + " WAL files");
    }

    /** Each timeline's history, read from the archive once, when a file of that timeline is first judged. */
    private WalJudge.Histories histories() {
        ArchivedTimelines timelines = backups.timelines();
        return timeline -> {
            try {
                return timelines.history(timeline);
            } catch (ArchivedTimelines.CatalogReadException e) {
                throw new BackupException("cannot expire: " + e.getMessage() + "; without it retention cannot tell"
                        + " which WAL the backups need, so no WAL was deleted. HINT: walden verify names what is damaged");
            }
        };
    }
}
