package dev.walden.agent.guard;

import dev.walden.agent.pipeline.ConflictException;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.pipeline.PushPipeline;
import dev.walden.agent.pipeline.RejectedFileException;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.wal.WalFileKind;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The pg_wal guard (docs/runbook.md, "When the repository is down: the pg_wal guard").
 *
 * <p>{@code pg-wal-guard = spill}: when a push fails
 * because the repository does, and pg_wal's backlog has reached {@code pg-wal-max-mib}, the file is stored in
 * {@code spill-path} instead, through the same pipeline (checked, compressed, encrypted, durable before the answer),
 * and acknowledged, so PostgreSQL can recycle it. The spill is a second repository of the same layout on a local
 * volume: while it holds anything, later pushes go there too, so the archive fills in order; a forwarder thread moves
 * its files to the repository, history files first and then by name, each pushed there as PostgreSQL would (an
 * identical copy already there is success, a different one is a conflict that stays in the spill and is reported),
 * and removes it from the spill only once it is durable in the repository. Fetch serves spilled files meanwhile.
 * When the spill fails too, the guard drops.
 *
 * <p>{@code pg-wal-guard = drop}: the file is checked as a push would check it and acknowledged without being stored.
 * Only plain segments and backup history files (which recovery never reads) are ever dropped; a timeline history or
 * partial file's push fails, and PostgreSQL keeps it. Each dropped segment is
 * journalled durably on spill-path before the answer ({@link DropJournal}), logged as an error, counted and notified;
 * once the repository answers, the journal becomes {@link WalGap} records there, and the agent starts a full backup,
 * so that point-in-time recovery works again from after the gap.
 */
public final class PgWalGuard implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PgWalGuard.class.getName());
    /** How long the forwarder waits after the repository failed, or when there was nothing to forward. */
    static final long IDLE_MILLIS = 5_000;

    /** How long after starting a full backup for a gap the guard waits before it starts another, should that fail. */
    static final java.time.Duration BACKUP_RETRY = java.time.Duration.ofMinutes(15);

    /** What the spill holds, and drops not yet recorded in the repository, for status and metrics. */
    public record State(int files, Optional<String> oldest, int conflicts, int dropsUnrecorded) {
        public static final State EMPTY = new State(0, Optional.empty(), 0, 0);
    }

    /** What the guard did with a push the repository could not take. */
    public record Relief(boolean stored, String message) {}

    /** What the agent does about drops: tell (metrics, notify-command), and take the full backup that ends the gap. */
    public interface Aftercare {
        void dropped(WalFileName name, String message);

        /** When the newest complete full backup started, if there is one. */
        Optional<java.time.Instant> newestFullStarted() throws IOException;

        void startFullBackup();

        Aftercare NONE = new Aftercare() {
            @Override
            public void dropped(WalFileName name, String message) {}

            @Override
            public Optional<java.time.Instant> newestFullStarted() {
                return Optional.empty();
            }

            @Override
            public void startFullBackup() {}
        };
    }

    /** The guard turned off: nothing spills, nothing is served from a spill. */
    public static final PgWalGuard OFF = new PgWalGuard();

    private final GuardSettings settings;
    private final Repository spill;
    private final PushPipeline spillPush;
    private final FetchPipeline spillFetch;
    private final PushPipeline repositoryPush;
    private final Path scratch;
    private final Repository repository;
    private final dev.walden.agent.pipeline.BackupObjects repositoryObjects;
    private final Aftercare aftercare;
    private final DropJournal journal;
    private final java.time.Clock clock;
    /** Whether a recorded gap may still lack a full backup after it: checked once at start and after each drop. */
    private volatile boolean gapsPending = true;
    private volatile java.time.Instant lastBackupStarted = java.time.Instant.EPOCH;
    /** When the repository's gaps and backups were last read for the aftercare: at most once a minute (a catalog listing reads every commit record). */
    private volatile java.time.Instant lastAftercareCheck = java.time.Instant.EPOCH;
    private final Thread forwarder;
    private volatile int conflicts;
    /** Spilled files waiting to be forwarded (not counting conflicts): kept in memory so that a push never lists. */
    private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean stopping;

    private PgWalGuard() {
        this.settings = GuardSettings.off();
        this.spill = null;
        this.spillPush = null;
        this.spillFetch = null;
        this.repositoryPush = null;
        this.scratch = null;
        this.repository = null;
        this.repositoryObjects = null;
        this.aftercare = Aftercare.NONE;
        this.journal = null;
        this.clock = java.time.Clock.systemUTC();
        this.forwarder = null;
    }

    /**
     * @param spill          the spill, a repository on {@code spill-path}
     * @param spillPush      pushes into the spill
     * @param spillFetch     reads from the spill
     * @param repositoryPush pushes into the agent's repository (where the forwarder sends spilled files)
     * @param scratch        a local directory for the one file being forwarded (the agent's spool)
     * @param repository     the agent's repository, whose objects hold the gap records
     */
    public PgWalGuard(GuardSettings settings, Repository spill, PushPipeline spillPush, FetchPipeline spillFetch,
                      PushPipeline repositoryPush, Path scratch, Repository repository,
                      dev.walden.agent.pipeline.BackupObjects repositoryObjects, Aftercare aftercare, java.time.Clock clock) {
        this(settings, spill, spillPush, spillFetch, repositoryPush, scratch, repository, repositoryObjects, aftercare, clock, true);
    }

    /** @param forward whether a forwarder thread runs (tests call {@link #forwardAll} themselves) */
    PgWalGuard(GuardSettings settings, Repository spill, PushPipeline spillPush, FetchPipeline spillFetch,
               PushPipeline repositoryPush, Path scratch, Repository repository,
               dev.walden.agent.pipeline.BackupObjects repositoryObjects, Aftercare aftercare, java.time.Clock clock, boolean forward) {
        this.repository = repository;
        this.repositoryObjects = repositoryObjects;
        this.aftercare = aftercare;
        this.journal = new DropJournal(spill.storage());
        this.clock = clock;
        this.settings = settings;
        this.spill = spill;
        this.spillPush = spillPush;
        this.spillFetch = spillFetch;
        this.repositoryPush = repositoryPush;
        this.scratch = scratch;
        this.waiting.set(state().files());
        this.forwarder = forward ? Thread.ofPlatform().name("walden-spill-forwarder").daemon().start(this::forwardLoop) : null;
    }

    public boolean enabled() {
        return settings.enabled();
    }

    /** Spilled files waiting to be forwarded, as last counted (no listing: for the metrics). */
    public int waiting() {
        return waiting.get();
    }

    /** Whether a push goes straight to the spill: while it holds files, so that the repository receives WAL in order. */
    public boolean followsSpill() {
        return settings.mode() == GuardSettings.Mode.SPILL && waiting.get() > 0;
    }

    /** Whether a push the repository failed is the guard's to take: pg_wal's backlog has reached the limit. */
    public boolean full(Path source) {
        return enabled() && backlogBytes(source) >= settings.maxBacklogBytes();
    }

    /**
     * Takes a push the repository could not: spills it (spill mode), or, when the spill fails too or in drop mode,
     * drops it. Returns only once what it did is durable.
     *
     * @throws IOException when it could do neither (the file is then not acknowledged, and PostgreSQL keeps it)
     */
    public Relief relieve(WalFileName name, Path source, String why)
            throws IOException, RejectedFileException, ConflictException, RepositoryFormatException {
        String reason = why;
        if (settings.mode() == GuardSettings.Mode.SPILL) {
            try {
                push(name, source);
                return new Relief(true, "spilled " + name.name() + " to spill-path (" + why + "); it is forwarded to the"
                        + " repository when that answers");
            } catch (IOException spillFailed) {
                reason = why + "; spill-path failed too: " + spillFailed.getMessage();
            }
        }
        if (name.kind() == WalFileKind.BACKUP_LABEL) {
            // A backup history file (.backup) only says where a backup began and ended; recovery never reads it, and
            // archiving, which goes in order, must not stall behind it.
            repositoryPush.check(name, source);
            String message = "dropped the backup history file " + name.name() + " (" + reason + "): recovery never reads it,"
                    + " so no WAL is lost";
            LOG.warning(message);
            return new Relief(false, message);
        }
        if (name.kind() != WalFileKind.SEGMENT) {
            throw new IOException(reason + "; a " + name.kind().toString().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + " file is never dropped");
        }
        long system = repositoryPush.check(name, source);
        java.time.Instant now = clock.instant();
        journal.add(name, system, Files.size(source), now);
        gapsPending = true;
        String message = "DROPPED " + name.name() + ": acknowledged without storing it (" + reason + "; pg_wal reached"
                + " pg-wal-max-mib and pg-wal-guard = drop). Point-in-time recovery cannot pass it; the agent takes a full"
                + " backup when archiving works again";
        LOG.severe(message);
        aftercare.dropped(name, message);
        return new Relief(false, message);
    }

    /**
     * The WAL waiting in pg_wal to be archived: the sizes of the files whose {@code .ready} marks are in
     * archive_status (computed only when a push has failed, so the stat per file is no cost to archiving).
     */
    static long backlogBytes(Path source) {
        Path status = source.resolveSibling("archive_status");
        long bytes = 0;
        try (DirectoryStream<Path> ready = Files.newDirectoryStream(status, "*.ready")) {
            for (Path mark : ready) {
                String name = mark.getFileName().toString();
                try {
                    bytes += Files.size(source.resolveSibling(name.substring(0, name.length() - ".ready".length())));
                } catch (IOException archivedMeanwhile) {
                    // its file is gone: PostgreSQL archived and removed it meanwhile
                }
            }
            return bytes;
        } catch (IOException e) {
            return 0;  // no archive_status beside it: not PostgreSQL's pg_wal, never spill
        }
    }

    /** Stores {@code source} in the spill, durable before it returns. */
    public PushPipeline.Outcome push(WalFileName name, Path source)
            throws IOException, RejectedFileException, ConflictException, RepositoryFormatException {
        PushPipeline.Outcome outcome = spillPush.push(name, source);
        if (!outcome.alreadyArchived()) {
            waiting.incrementAndGet();
        }
        synchronized (this) {
            notifyAll();  // the forwarder tries the repository now
        }
        return outcome;
    }

    /** Serves a spilled file to {@code destination}; not found when the spill does not hold it. */
    public FetchPipeline.Outcome fetch(WalFileName name, Path destination)
            throws IOException, CorruptObjectException, RepositoryFormatException, RejectedFileException {
        if (!enabled()) {
            return new FetchPipeline.Outcome(false, 0);
        }
        return spillFetch.fetch(name, destination);
    }

    /** What the spill holds now (one listing of the spill directory). */
    public State state() {
        if (!enabled()) {
            return State.EMPTY;
        }
        try {
            List<WalFileName> files = spilled();
            return new State(files.size(), files.stream().filter(n -> n.kind() != WalFileKind.TIMELINE_HISTORY)
                    .map(WalFileName::name).findFirst(), conflicts, journal.entries().size());
        } catch (IOException | RepositoryFormatException | RuntimeException e) {
            LOG.warning("cannot read the spill " + settings.path() + ": " + e.getMessage());
            return new State(0, Optional.empty(), conflicts, 0);
        }
    }

    /** The spilled files in the order they are forwarded: timeline histories first, then by name. */
    private List<WalFileName> spilled() throws IOException, RepositoryFormatException {
        OptionalLong system = spill.systemIdentifier();
        if (system.isEmpty()) {
            return List.of();
        }
        List<WalFileName> files = new ArrayList<>();
        spill.wal(system.getAsLong()).forEach(file -> files.add(file.name()));
        files.sort(Comparator.comparing((WalFileName n) -> n.kind() != WalFileKind.TIMELINE_HISTORY).thenComparing(WalFileName::name));
        return files;
    }

    private void forwardLoop() {
        while (!stopping) {
            boolean more;
            try {
                more = forwardAll();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "forwarding spilled WAL failed unexpectedly", e);
                more = false;
            }
            if (!more) {
                synchronized (this) {
                    try {
                        wait(IDLE_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Forwards what the spill holds, in order, until it is empty or the repository fails.
     *
     * @return whether it should run again at once (something was forwarded and more may have come)
     */
    boolean forwardAll() {
        List<WalFileName> files;
        try {
            files = spilled();
        } catch (IOException | RepositoryFormatException e) {
            LOG.warning("cannot list the spill " + settings.path() + ": " + e.getMessage());
            return false;
        }
        if (files.isEmpty()) {
            waiting.set(0);
            afterDrops();
            return false;
        }
        int forwarded = 0;
        int conflicted = 0;
        for (WalFileName name : files) {
            if (stopping) {
                return false;
            }
            Path copy = scratch.resolve(".spill-" + name.name() + ".walden-tmp");
            try {
                Files.deleteIfExists(copy);
                if (!spillFetch.fetch(name, copy).found()) {
                    continue;  // forwarded meanwhile
                }
                repositoryPush.push(name, copy);
                spill.wal(spill.systemIdentifier().orElseThrow()).deleteAll(List.of(name));
                forwarded++;
            } catch (ConflictException e) {
                conflicted++;
                LOG.severe("spilled " + name.name() + " was not forwarded: " + e.getMessage() + "; it stays in " + settings.path()
                        + ". HINT: compare the two copies (walden fetch) and remove the wrong one");
            } catch (IOException e) {
                if (forwarded > 0) {
                    LOG.info("forwarded " + forwarded + " spilled WAL files; the repository failed again: " + e.getMessage());
                }
                return false;  // the repository (or the spill) still fails: try again later
            } catch (RejectedFileException | RepositoryFormatException | CorruptObjectException e) {
                conflicted++;
                LOG.severe("spilled " + name.name() + " cannot be forwarded: " + e.getMessage() + "; it stays in " + settings.path());
            } finally {
                try {
                    Files.deleteIfExists(copy);
                } catch (IOException ignored) {
                    // the spool is emptied at start-up
                }
            }
        }
        conflicts = conflicted;
        waiting.set(Math.max(0, files.size() - forwarded - conflicted));
        afterDrops();
        if (forwarded > 0) {
            LOG.info("forwarded " + forwarded + " spilled WAL files to the repository" + (conflicted > 0 ? "; " + conflicted
                    + " stay in the spill" : "; the spill is empty"));
        }
        return forwarded > 0;
    }

    /**
     * Once the repository answers: records what was dropped as gaps there, and starts a full backup when the newest
     * gap has none after it (again after {@link #BACKUP_RETRY} should that one fail).
     */
    private void afterDrops() {
        if (!gapsPending) {
            return;
        }
        try {
            List<WalGap> recorded = journal.recordIn(repositoryObjects);
            for (WalGap gap : recorded) {
                LOG.severe("recorded in the repository: " + gap.describe());
            }
            java.time.Instant checked = clock.instant();
            if (recorded.isEmpty() && lastAftercareCheck.plusSeconds(60).isAfter(checked)) {
                return;
            }
            lastAftercareCheck = checked;
            OptionalLong system = repository.systemIdentifier();
            if (system.isEmpty()) {
                gapsPending = false;
                return;
            }
            List<WalGap> gaps = WalGap.recorded(repositoryObjects, system.getAsLong());
            if (gaps.isEmpty()) {
                gapsPending = false;
                return;
            }
            java.time.Instant newestGap = gaps.stream().map(WalGap::droppedTo).max(java.time.Instant::compareTo).orElseThrow();
            Optional<java.time.Instant> full = aftercare.newestFullStarted();
            if (full.isPresent() && full.get().isAfter(newestGap)) {
                gapsPending = false;
                return;
            }
            java.time.Instant now = clock.instant();
            if (lastBackupStarted.plus(BACKUP_RETRY).isBefore(now)) {
                lastBackupStarted = now;
                LOG.warning("starting a full backup: WAL was dropped at " + newestGap + " and no full backup has been taken since,"
                        + " so point-in-time recovery cannot reach past the gap until one is");
                aftercare.startFullBackup();
            }
        } catch (IOException | RepositoryFormatException e) {
            // the repository still fails: the journal keeps the drops for the next round
        }
    }

    @Override
    public void close() {
        if (forwarder == null) {
            return;
        }
        stopping = true;
        synchronized (this) {
            notifyAll();
        }
        try {
            forwarder.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
