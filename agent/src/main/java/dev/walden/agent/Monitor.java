package dev.walden.agent;

import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.drill.DrillReports;
import dev.walden.agent.metrics.WaldenMetrics;
import dev.walden.agent.notify.Notifier;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.verify.VerifyResults;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The agent's background watch, once a minute on its own thread: probes the repository (walden_repository_up),
 * tells notify-command when archiving has failed for notify-archive-failing-minutes and when it recovers, and at
 * start-up fills the backup, verify and drill gauges from what the repository holds, so a restart does not blank them.
 */
final class Monitor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Monitor.class.getName());
    private final Thread thread;

    private Monitor(Thread thread) {
        this.thread = thread;
    }

    static Monitor start(Repository repository, BaseBackups backups, WaldenMetrics metrics, Notifier notifier, Duration archiveFailing,
                         dev.walden.agent.retention.RetentionPolicy policy, Clock clock) {
        Thread thread = Thread.ofPlatform().name("walden-monitor").daemon().unstarted(() -> {
            boolean loaded = false;
            while (!Thread.currentThread().isInterrupted()) {
                boolean up;
                try {
                    repository.probe();
                    up = true;
                } catch (java.io.IOException e) {
                    up = false;
                }
                if (up != metrics.repositoryUp()) {
                    LOG.warning("repository " + repository.describe() + (up ? " is reachable again" : " is unreachable"));
                }
                metrics.repositoryUp(up);
                notifier.report("repository", !up, "repository " + repository.describe() + (up ? " is reachable" : " is unreachable"));
                if (up && !loaded) {
                    loaded = load(backups, metrics, policy, clock);
                }
                WaldenMetrics.Archiving archiving = metrics.archiving();
                long now = clock.millis();
                if (archiving.failingSinceMillis() > 0 && now - archiving.failingSinceMillis() >= archiveFailing.toMillis()) {
                    notifier.report("archiving", true, "archiving has failed for " + (now - archiving.failingSinceMillis()) / 60000
                            + " min: " + archiving.lastFailure());
                } else if (archiving.failingSinceMillis() == 0 && archiving.lastSuccessMillis() > 0) {
                    notifier.report("archiving", false, "archiving works again: last archived " + archiving.lastArchived());
                }
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        thread.start();
        return new Monitor(thread);
    }

    /** Whether the start-up listing's interrupted and unusable backups were logged (once per start). */
    private static volatile boolean loggedInterrupted;

    /** Fills the gauges from the repository; false when it could not (tried again next minute). */
    private static boolean load(BaseBackups backups, WaldenMetrics metrics, dev.walden.agent.retention.RetentionPolicy policy,
                                Clock clock) {
        try {
            Optional<BackupCatalog> catalog = backups.catalog();
            if (catalog.isEmpty()) {
                return true;
            }
            BackupCatalog.Listing listing = catalog.get().list();
            if (!loggedInterrupted) {
                loggedInterrupted = true;
                for (String id : listing.incomplete()) {
                    LOG.info("backup " + id + " was interrupted (agent stopped or killed, or the database went away) and is"
                            + " incomplete: it is never offered for restore, and the next backup or expiry removes it");
                }
                for (BackupCatalog.Unusable u : listing.unusable()) {
                    LOG.warning("backup " + u.id() + " cannot be restored: " + u.reason());
                }
            }
            for (BackupSummary b : listing.complete()) {
                metrics.backupSucceeded(b.type().label, b.stopped(), Duration.between(b.started(), b.stopped()).toMillis() / 1000.0,
                        b.storedBytes());
            }
            dev.walden.agent.retention.RetentionRules.windowAnchor(policy, clock.instant(), listing.complete())
                    .ifPresent(b -> metrics.recoveryWindowStart(b.stopped()));
            long system = catalog.get().systemIdentifier();
            lastArchived(backups, system).ifPresent(last -> metrics.archivedBeforeStart(last.getKey(), last.getValue()));
            new VerifyResults(backups.objects(), system).last().ifPresent(v -> metrics.verified(v.finished(), v.exitCode(),
                    (int) v.problems().stream().filter(p -> p.kind().equals("wal-gap") || p.kind().equals("backup-wal-missing")).count()));
            new DrillReports(backups.objects(), system).last().ifPresent(d -> metrics.drilled(d.finished(), d.passed(), d.rtoSeconds(),
                    d.rpoSeconds().orElse(Double.NaN)));
            return true;
        } catch (Exception e) {
            LOG.info("metrics: the repository's backups, verify and drill results could not be read yet: " + e.getMessage());
            return false;
        }
    }

    /**
     * The newest WAL segment archived on the newest timeline, and when it was stored. Only that timeline's directory is
     * listed (the newest is found by its history file, as recovery finds it).
     */
    private static Optional<Map.Entry<String, java.time.Instant>> lastArchived(BaseBackups backups, long system) throws Exception {
        long timeline = backups.timelines().latestFrom(1);
        var archive = backups.objects().walArchive(system);
        for (long t = timeline; t >= 1; t--) {
            // Streamed: the newest segment seen so far is all that is held, however long the timeline's archive.
            java.util.concurrent.atomic.AtomicReference<dev.walden.agent.repository.WalArchive.ArchivedWal> newest =
                    new java.util.concurrent.atomic.AtomicReference<>();
            archive.forEach(t, file -> {
                if (file.name().kind().hasWalPages() && file.storedAt().isPresent()
                        && (newest.get() == null || file.name().name().compareTo(newest.get().name().name()) > 0)) {
                    newest.set(file);
                }
            });
            if (newest.get() != null) {
                return Optional.of(Map.entry(newest.get().name().name(), newest.get().storedAt().orElseThrow()));
            }
            if (t == 1) {
                break;
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
