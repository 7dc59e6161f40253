package dev.walden.agent.backup;

import dev.walden.agent.command.CommandOutput;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.postgres.ClusterCheck;
import dev.walden.agent.postgres.ClusterFacts;
import dev.walden.agent.postgres.PostgresException;
import dev.walden.agent.postgres.PostgresMajor;
import dev.walden.agent.postgres.PostgresSession;
import dev.walden.agent.postgres.PostgresSettings;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.repository.WrongClusterException;
import dev.walden.agent.wal.TimelineHistory;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Takes base backups: a non-exclusive backup on one JDBC session, the data directory read by the agent and stored
 * through the same pipeline as WAL, then the manifest, and only once the WAL from start to stop is archived, the
 * commit record. Anything that fails or is interrupted before that commit leaves a backup that is never listed as
 * complete; its objects are removed by the next backup.
 */
public final class BaseBackups {
    private static final Logger LOG = Logger.getLogger(BaseBackups.class.getName());
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    /**
     * A file whose size and mtime match its parent's copy is re-used unread only if it was last modified at least
     * this long before the parent started: a write in the same clock tick as the parent's copy would leave the
     * mtime unchanged (pgBackRest reasons the same way about timestamp resolution).
     */
    static final long MTIME_SAFETY_NANOS = 2_000_000_000L;

    private final Optional<Path> dataDirectory;
    private final PostgresSettings postgres;
    private final BackupSettings settings;
    private final Repository repository;
    private final BackupObjects objects;
    private final FetchPipeline fetch;
    private final String encryptionMode;
    private final Clock clock;
    /** What holds the catalog in this agent (a backup or an expiry), or null: one at a time. */
    private final java.util.concurrent.atomic.AtomicReference<String> busy = new java.util.concurrent.atomic.AtomicReference<>();

    public BaseBackups(PostgresSettings postgres, BackupSettings settings, Repository repository, BackupObjects objects,
                       FetchPipeline fetch, String encryptionMode, Clock clock) {
        this.dataDirectory = postgres.dataDirectory();
        this.postgres = postgres;
        this.settings = settings;
        this.repository = repository;
        this.objects = objects;
        this.fetch = fetch;
        this.encryptionMode = encryptionMode;
        this.clock = clock;
    }

    /** The catalog of the cluster the repository belongs to, or empty when nothing was ever archived. */
    public Optional<BackupCatalog> catalog() throws IOException, RepositoryFormatException {
        var systemIdentifier = repository.systemIdentifier();
        return systemIdentifier.isEmpty() ? Optional.empty() : Optional.of(new BackupCatalog(objects, systemIdentifier.getAsLong()));
    }

    /** The objects of the repository's backups, through the pipeline (for verify). */
    public BackupObjects objects() {
        return objects;
    }

    public ArchivedTimelines timelines() {
        return new ArchivedTimelines(fetch);
    }

    /** Whether this agent is taking a backup now. */
    public boolean running() {
        String job = busy.get();
        return job != null && job.startsWith("backup");
    }

    /** Work on the catalog that must not overlap a backup or another expiry. */
    @FunctionalInterface
    public interface CatalogWork<T> {
        T run() throws IOException, BackupException, BackupCatalog.CatalogException;
    }

    /**
     * Runs {@code work} holding the catalog: refused while this agent runs a backup or an expiry, and under the
     * repository's lock object, so that no other agent runs one either. (The in-agent flag makes a lock object with
     * this agent's pid a leftover of a failed release, hence {@code runningHere = false}.)
     *
     * @param job what runs, for messages and the lock object, e.g. {@code expire}
     */
    public <T> T exclusive(String job, BackupCatalog catalog, CatalogWork<T> work)
            throws IOException, BackupException, BackupCatalog.CatalogException {
        if (!busy.compareAndSet(null, job)) {
            throw new BackupException(busy.get() + " is running in this agent; " + job + " waits for it. HINT: run it again when"
                    + " that is done (walden backup list shows a running backup)");
        }
        try (BackupLock lock = BackupLock.acquire(objects, catalog.lockKey(), job, false)) {
            return work.run();
        } finally {
            busy.set(null);
        }
    }

    /**
     * Commits a backup that has a manifest but no commit record ({@code walden backup commit ID}), only after checking
     * that a restore of it would succeed: the manifest reads and is sane, every backup it reads objects of is complete,
     * each of its own data objects reads back through decryption and checksums, and the WAL from its start to its
     * consistent point is archived. Under the catalog lock, so no backup or expiry runs meanwhile.
     *
     * @return the summary now committed
     * @throws BackupException what keeps it from being committed, with nothing written
     */
    public BackupSummary recommit(String id, java.util.function.Consumer<String> progress)
            throws IOException, BackupException, BackupCatalog.CatalogException, RepositoryFormatException {
        Optional<BackupCatalog> found = catalog();
        if (found.isEmpty()) {
            throw new BackupException("the repository has no backups");
        }
        BackupCatalog catalog = found.get();
        return exclusive("backup commit", catalog, () -> {
            BackupCatalog.Listing listing = catalog.list();
            if (listing.find(id).isPresent()) {
                throw new BackupException("backup " + id + " is already complete; nothing to do");
            }
            Optional<BackupCatalog.Unusable> unusable = listing.findUnusable(id);
            if (unusable.isEmpty() || !unusable.get().uncommitted()) {
                throw new BackupException("backup " + id + " has no manifest waiting for a commit record"
                        + unusable.map(u -> " (" + u.reason() + ")").orElse("") + ". HINT: walden backup list");
            }
            Manifest.Header manifest = catalog.manifestHeader(id);
            BackupSummary draft = manifest.summary();
            if (!draft.id().equals(id) || draft.systemIdentifier() != catalog.systemIdentifier()) {
                throw new BackupException("the manifest under " + id + " describes backup " + draft.id() + " of system "
                        + Long.toUnsignedString(draft.systemIdentifier()) + "; it is not committed");
            }
            for (String needed : draft.references()) {
                if (!needed.equals(id) && listing.find(needed).isEmpty()) {
                    throw new BackupException("backup " + id + " needs backup " + needed + ", which is not complete; it is not committed");
                }
            }
            for (Manifest.DataObject object : manifest.objects()) {
                progress.accept("checking " + BackupCatalog.dataName(id, object.number()));
                long length;
                try {
                    length = objects.verify(catalog.dataKey(id, object.number()), BackupCatalog.dataName(id, object.number()),
                            ObjectKind.BACKUP_DATA);
                } catch (dev.walden.agent.storage.ObjectNotFoundException e) {
                    throw new BackupException("object " + BackupCatalog.dataName(id, object.number()) + " is missing; backup " + id
                            + " is not committed");
                } catch (dev.walden.agent.pipeline.CorruptObjectException e) {
                    throw new BackupException("object " + BackupCatalog.dataName(id, object.number()) + " is damaged ("
                            + e.getMessage() + "); backup " + id + " is not committed");
                }
                if (length != object.originalBytes()) {
                    throw new BackupException("object " + BackupCatalog.dataName(id, object.number()) + " holds " + length
                            + " bytes, the manifest says " + object.originalBytes() + "; backup " + id + " is not committed");
                }
            }
            long first = WalFileName.parse(draft.walStart()).segmentNumber(draft.walSegmentSize());
            long last = WalFileName.parse(draft.walStop()).segmentNumber(draft.walSegmentSize());
            for (long segment = first; segment <= last; segment++) {
                String name = Lsn.segmentName(draft.timeline(), segment, draft.walSegmentSize());
                if (!catalog.wal().exists(WalFileName.parse(name))) {
                    throw new BackupException("WAL file " + name + ", which backup " + id + " needs to become consistent, is not"
                            + " archived; the backup is not committed");
                }
            }
            long manifestBytes = catalog.manifestBytes(id);
            BackupSummary summary = catalog.recommit(id, manifestBytes);
            LOG.info("backup " + id + " committed by hand after its objects and WAL were checked");
            return summary;
        });
    }

    /**
     * A timeline in the archive newer than the live primary's, which the primary never had: what a promoted test
     * restore that kept archiving (or another cluster) left, and which recovery's default, {@code latest}, would follow.
     *
     * @param live  the live primary's current timeline
     * @param stray the newest timeline in the archive, which descends from none the primary had
     */
    public record StrayTimeline(long live, long stray) {}

    /**
     * The stray timeline, if any: judged only when pg-data is set and the cluster answers as a primary of the
     * repository's own system (otherwise no timeline can be called foreign), and the histories can be read.
     */
    public Optional<StrayTimeline> strayTimeline(long repositorySystem) throws IOException {
        if (dataDirectory.isEmpty()) {
            return Optional.empty();
        }
        long live;
        try (PostgresSession session = PostgresSession.open(postgres)) {
            ClusterFacts facts = session.facts();
            if (facts.systemIdentifier() != repositorySystem || facts.inRecovery()) {
                return Optional.empty();
            }
            live = facts.timeline();
        } catch (PostgresException | RuntimeException e) {
            return Optional.empty();
        }
        try {
            long latest = timelines().latestFrom(live);
            return latest == live ? Optional.empty() : Optional.of(new StrayTimeline(live, latest));
        } catch (ArchivedTimelines.CatalogReadException e) {
            return Optional.empty();  // an unreadable history is reported by verify and by the restore's choice of backup
        }
    }

    /** Checks the cluster as a backup would, for start-up: the refusals and warnings, or why it cannot be reached. */
    public ClusterCheck.Findings check() throws PostgresException {
        try (PostgresSession session = PostgresSession.open(postgres)) {
            return ClusterCheck.check(session.facts(), dataDirectory.orElseThrow());
        }
    }

    /**
     * Takes one backup and returns it once it is complete.
     *
     * @throws BackupException anything that keeps the backup from completing, with what to do about it
     */
    public BackupSummary take(BackupType requested, CommandOutput output) throws BackupException, IOException {
        return take(requested, false, output);
    }

    /**
     * @param checksumAll an incremental reads every file and compares checksums, instead of taking a file whose size and
     *                    modification time are those the parent recorded as unchanged (a tool that rewrites a file and
     *                    restores its time would otherwise go unseen)
     */
    public BackupSummary take(BackupType requested, boolean checksumAll, CommandOutput output) throws BackupException, IOException {
        Path pgData = dataDirectory.orElseThrow(() -> new BackupException(
                "pg-data is not set, so the agent cannot back up. HINT: set pg-data to the cluster's data directory,"
                        + " e.g. pg-data = /var/lib/postgresql/15/main, and restart walden-agent"));
        if (!busy.compareAndSet(null, "backup")) {
            throw new BackupException(busy.get() + " is already running in this agent; one at a time. HINT: wait for it to finish"
                    + " (walden backup list shows a running backup)");
        }
        try (PostgresSession session = PostgresSession.open(postgres)) {
            Optional<PostgresSettings> standby = standbySource(session, output);
            if (standby.isPresent()) {
                try (PostgresSession fromStandby = PostgresSession.open(standby.get())) {
                    return take(requested, checksumAll, output, standby.get().dataDirectory().orElseThrow(), fromStandby,
                            Optional.of(session), standby.get());
                }
            }
            return take(requested, checksumAll, output, pgData, session, Optional.empty(), postgres);
        } catch (PostgresException e) {
            throw new BackupException(e.getMessage(), e);
        } catch (RepositoryFormatException | BackupCatalog.CatalogException | ArchivedTimelines.CatalogReadException e) {
            throw new BackupException(e.getMessage(), e);
        } finally {
            busy.set(null);
        }
    }

    /**
     * The standby to back up from (backup-standby), or empty for the primary: a standby that is not in recovery, belongs
     * to another cluster, cannot be reached or is further behind than standby-max-lag is refused with {@code on}, and
     * with {@code prefer} the primary is backed up instead, saying why.
     */
    private Optional<PostgresSettings> standbySource(PostgresSession primary, CommandOutput output) throws BackupException {
        StandbySource source = settings.source();
        if (source.mode() == StandbySource.Mode.OFF || source.standby().isEmpty()) {
            return Optional.empty();
        }
        PostgresSettings standby = source.standby().get();
        String where = "the standby at " + standby.host() + " port " + standby.port();
        String problem = null;
        try (PostgresSession session = PostgresSession.open(standby)) {
            ClusterFacts facts = session.facts();
            ClusterFacts primaryFacts = primary.facts();
            if (!facts.inRecovery()) {
                problem = where + " is not in recovery (a primary now: was it promoted?)";
            } else if (facts.systemIdentifier() != primaryFacts.systemIdentifier()) {
                problem = where + " is a standby of another cluster (system " + Long.toUnsignedString(facts.systemIdentifier()) + ")";
            } else {
                long written = Lsn.parse(primary.firstValue("SELECT pg_current_wal_lsn()::text").orElseThrow()).value();
                long replayed = Lsn.parse(session.firstValue("SELECT pg_last_wal_replay_lsn()::text").orElse("0/0")).value();
                long lag = Math.max(0, written - replayed);
                if (lag > source.maxLagBytes()) {
                    problem = where + " is " + TransferProgress.size(lag) + " of WAL behind its primary, more than standby-max-lag ("
                            + TransferProgress.size(source.maxLagBytes()) + ")";
                }
            }
        } catch (PostgresException | RuntimeException e) {
            problem = where + " cannot be used: " + e.getMessage();
        }
        if (problem == null) {
            return Optional.of(standby);
        }
        if (source.mode() == StandbySource.Mode.ON) {
            throw new BackupException("backup-standby = on, but " + problem + "; no backup was taken. HINT: fix the standby, or set"
                    + " backup-standby = prefer to back up the primary meanwhile");
        }
        LOG.warning("backing up the primary instead of the standby: " + problem);
        output.err("walden: backing up the primary instead of the standby (backup-standby = prefer): " + problem + "\n");
        return Optional.empty();
    }

    private BackupSummary take(BackupType requested, boolean checksumAll, CommandOutput output, Path pgData, PostgresSession session,
                               Optional<PostgresSession> primary, PostgresSettings source)
            throws BackupException, IOException, PostgresException, RepositoryFormatException, BackupCatalog.CatalogException,
            ArchivedTimelines.CatalogReadException {
        ClusterFacts facts = session.facts();
        try {
            PostgresMajor.require(facts.versionNumber(), "back up");
        } catch (PostgresMajor.UnknownMajorException e) {
            throw new BackupException(e.getMessage());
        }
        ClusterCheck.Findings findings = ClusterCheck.check(facts, pgData, primary.isPresent());
        for (String warning : findings.warnings()) {
            output.err("walden: warning: " + warning + "\n");
            LOG.warning(warning);
        }
        if (!findings.ok()) {
            throw new BackupException("cannot back up this cluster: " + String.join("; ", findings.refusals()));
        }
        try {
            repository.claim(facts.systemIdentifier(), encryptionMode);
        } catch (WrongClusterException e) {
            throw new BackupException(e.getMessage());
        }
        BackupCatalog catalog = new BackupCatalog(objects, facts.systemIdentifier());
        BackupCatalog.Listing listing = catalog.list();
        BackupType type = requested;
        Optional<BackupSummary> parent = Optional.empty();
        if (type == BackupType.INCR) {
            Optional<BackupSummary> candidate = parentFor(listing, facts.timeline());
            if (candidate.isEmpty()) {
                output.err("walden: no complete backup of this cluster's timeline history to build an incremental on;"
                        + " taking a full backup instead\n");
                type = BackupType.FULL;
            } else {
                parent = candidate;
            }
        }
        Set<String> taken = new TreeSet<>(listing.incomplete());
        listing.complete().forEach(b -> taken.add(b.id()));
        listing.unusable().forEach(b -> taken.add(b.id()));
        String id = newId(type, taken);
        try (BackupLock lock = BackupLock.acquire(objects, catalog.lockKey(), "backup " + id, false)) {
            // Listed again under the lock: a backup that completed since the first listing must not look like a leftover.
            for (String leftover : catalog.list().incomplete()) {
                LOG.info("removing what the interrupted backup " + leftover + " left");
                catalog.removeIncomplete(leftover);
            }
            if (primary.isPresent()) {
                output.err("walden: backing up the standby at " + source.host() + " port " + source.port() + " (" + pgData + ")\n");
            }
            return run(id, type, parent, facts, pgData, session, catalog, checksumAll, output, primary, source);
        }
    }

    /** The newest complete backup on the current timeline's history: what an incremental is taken against. */
    private Optional<BackupSummary> parentFor(BackupCatalog.Listing listing, long timeline)
            throws IOException, ArchivedTimelines.CatalogReadException {
        TimelineHistory history = timelines().history(timeline);
        for (int i = listing.complete().size() - 1; i >= 0; i--) {
            BackupSummary backup = listing.complete().get(i);
            if (history.contains(backup.timeline(), backup.stopLsn().value())) {
                return Optional.of(backup);
            }
        }
        return Optional.empty();
    }

    /** The start time to the second and the type; a later second if that time is taken, so ids sort by time. */
    private String newId(BackupType type, Set<String> taken) {
        Instant now = clock.instant();
        while (true) {
            String stamp = ID_TIME.format(now);
            if (taken.stream().noneMatch(id -> id.startsWith(stamp))) {
                return stamp + type.suffix;
            }
            now = now.plusSeconds(1);
        }
    }

    private BackupSummary run(String id, BackupType type, Optional<BackupSummary> parent, ClusterFacts facts, Path pgData,
                              PostgresSession session, BackupCatalog catalog, boolean checksumAll, CommandOutput output,
                              Optional<PostgresSession> primary, PostgresSettings source)
            throws BackupException, IOException, PostgresException, BackupCatalog.CatalogException {
        Instant started = clock.instant();
        PostgresMajor major = PostgresMajor.ofVersionNumber(facts.versionNumber()).orElseThrow();
        Lsn startLsn = Lsn.parse(session.backupStart(id, major));
        LOG.info("backup " + id + " (" + type.label + (parent.map(p -> ", parent " + p.id()).orElse("")) + ") started at "
                + startLsn);
        List<Manifest.Tablespace> tablespaces = facts.tablespaces().stream()
                .map(t -> new Manifest.Tablespace(t.oid(), t.name(), t.location())).toList();
        TransferProgress progress = new TransferProgress();
        AtomicBoolean stop = new AtomicBoolean();
        long[] lastLivenessCheck = {System.nanoTime()};
        ParallelFiles.Tick tick = () -> {
            output.progress(progress.line("backup " + id));
            if (System.nanoTime() - lastLivenessCheck[0] > 10_000_000_000L) {
                lastLivenessCheck[0] = System.nanoTime();
                if (!session.alive()) {
                    throw new BackupException("the database session ended during the backup (did PostgreSQL stop?);"
                            + " backup " + id + " is incomplete and will never be offered for restore");
                }
            }
        };
        long parentStartNanos = parent.map(p -> p.started().getEpochSecond() * 1_000_000_000L + p.started().getNano()).orElse(0L);
        WalSummaryChanges summarized = null;
        if (parent.isPresent() && !checksumAll) {
            summarized = WalSummaryChanges.since(session, facts.versionNumber() / 10000, parent.get().timeline(), parent.get().startLsn(),
                    facts.timeline(), startLsn, pgData, objects.scratch(), note -> {
                        LOG.info("backup " + id + ": " + note);
                        output.err("walden: " + note + "\n");
                    }, output::cancelled).orElse(null);
        }
        try (WalSummaryChanges changes = summarized;
             ManifestWriter manifest = new ManifestWriter(objects.scratch());
             ParentFiles parentFiles = parent.isPresent() ? ParentFiles.of(catalog, parent.get().id()) : ParentFiles.none();
             DataCopy copy = new DataCopy(id, catalog, objects, settings, parentFiles, changes, parentStartNanos, checksumAll, progress,
                     manifest, stop, output::cancelled, tick)) {
            // Listed, compared with the parent and copied in one pass, in path order: nothing per file is held.
            List<Manifest.Directory> directories = DataDirectoryScan.walk(pgData, tablespaces, major.walDirectories(), copy::add);
            copy.finish();
            if (!session.alive()) {
                throw new BackupException("the database session ended during the backup (did PostgreSQL stop?);"
                        + " backup " + id + " is incomplete and will never be offered for restore");
            }
            output.progress(progress.line("backup " + id) + "; counting the largest tables' rows");
            List<Manifest.TableCount> rowCounts = countRows(session, source);
            // From a standby, pg_control is read again after every other file: its minimum recovery point is where
            // PostgreSQL takes such a backup to end (pg_basebackup sends it last for the same reason).
            String pgControlLast = primary.isPresent()
                    ? java.util.Base64.getEncoder().encodeToString(java.nio.file.Files.readAllBytes(pgData.resolve("global/pg_control"))) : "";
            List<Manifest.ConfigFile> configFiles = ExternalConfig.collect(session, pgData, warning -> {
                LOG.warning("backup " + id + ": " + warning);
                output.err("walden: warning: " + warning + "\n");
            });
            output.progress(progress.line("backup " + id) + "; stopping the backup");

            PostgresSession.BackupStop stopped = session.backupStop(major);
            Lsn stopLsn = Lsn.parse(stopped.stopLsn());
            long timeline = startTimeline(stopped.backupLabel()).orElse(facts.timeline());
            if (primary.isPresent()) {
                // From a standby, the primary archives the WAL; an idle primary would not complete the last segment the
                // backup needs until archive_timeout, if ever: it is switched.
                String last = stopLsn.previousSegmentName(timeline, facts.walSegmentSize());
                String current = primary.get().firstValue("SELECT pg_walfile_name(pg_current_wal_lsn())").orElse("");
                if (current.compareTo(last) <= 0) {
                    primary.get().firstValue("SELECT pg_switch_wal()::text");
                }
            }
            awaitWal(id, timeline, startLsn, stopLsn, facts.walSegmentSize(), output);

            TreeSet<String> references = new TreeSet<>(manifest.references());
            references.add(id);
            long bytes = manifest.bytes();
            BackupSummary draft = new BackupSummary(id, type, parent.map(BackupSummary::id), List.copyOf(references), started,
                    clock.instant(), startLsn, stopLsn, timeline, facts.walSegmentSize(), bytes, copy.storedBytes(),
                    facts.versionNumber(), facts.systemIdentifier());
            output.progress(progress.line("backup " + id) + "; writing the manifest (" + manifest.count() + " files)");
            long manifestBytes = catalog.writeManifest(new Manifest.Header(draft, stopped.backupLabel(), stopped.tablespaceMap(),
                    tablespaces, directories, copy.stored(), rowCounts, manifest.count(), configFiles,
                    primary.isPresent() ? "standby " + source.host() + " port " + source.port() + " (" + pgData + ")" : "primary",
                    pgControlLast), manifest);
            BackupSummary summary = new BackupSummary(id, type, draft.parent(), draft.references(), started, draft.stopped(),
                    startLsn, stopLsn, timeline, facts.walSegmentSize(), bytes, copy.storedBytes() + manifestBytes,
                    facts.versionNumber(), facts.systemIdentifier());
            catalog.commit(summary);
            LOG.info("backup " + id + " complete: " + manifest.count() + " files, " + TransferProgress.size(bytes) + " backed up, "
                    + TransferProgress.size(summary.storedBytes()) + " stored, WAL " + summary.walStart() + " .. " + summary.walStop()
                    + ", " + String.format("%.1f", progress.seconds()) + " s");
            return summary;
        } catch (BackupException | IOException | PostgresException | BackupCatalog.CatalogException | RuntimeException e) {
            LOG.warning("backup " + id + " failed: " + e.getMessage());
            throw e;
        } catch (Exception e) {
            LOG.warning("backup " + id + " failed: " + e.getMessage());
            throw new BackupException("backup " + id + " failed: " + e.getMessage(), e);
        }
    }

    /** Tables counted per database at backup time, for drills to compare with (docs/format.md, row_counts). */
    static final int COUNTED_TABLES = 5;
    /**
     * Only tables up to this size are counted: a count reads the whole table, and an incremental of a 10 TB cluster
     * must not read its largest tables to count them (a 200 GiB table took 40 s of an unchanged incremental).
     */
    static final long COUNTED_TABLE_BYTES = 1L << 30;

    /**
     * Exact row counts of each database's largest tables, just before pg_backup_stop. Counting is a courtesy to the
     * drill: a database it cannot read is skipped with a log line, never a failed backup.
     */
    private List<Manifest.TableCount> countRows(PostgresSession session, PostgresSettings source) {
        List<Manifest.TableCount> counts = new ArrayList<>();
        List<String> databases;
        try {
            databases = session.databases();
        } catch (PostgresException e) {
            LOG.warning("row counts skipped: " + e.getMessage());
            return counts;
        }
        for (String database : databases) {
            PostgresSettings there = new PostgresSettings(source.dataDirectory(), source.host(), source.port(), source.user(), database);
            try (PostgresSession other = PostgresSession.open(there)) {
                other.firstValue("SET statement_timeout = '10s'");  // a slow count is skipped rather than stall the backup
                for (PostgresSession.TableRows t : other.largestTables(COUNTED_TABLES, COUNTED_TABLE_BYTES)) {
                    counts.add(new Manifest.TableCount(t.database(), t.schema(), t.table(), t.rows()));
                }
            } catch (PostgresException e) {
                LOG.warning("row counts of database " + database + " skipped: " + e.getMessage());
            }
        }
        return counts;
    }

    static Optional<Long> startTimeline(String backupLabel) {
        for (String line : backupLabel.split("\n")) {
            if (line.startsWith("START TIMELINE:")) {
                try {
                    return Optional.of(Long.parseLong(line.substring("START TIMELINE:".length()).strip()));
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** Waits until every WAL segment from the start to the stop location is in Walden's archive. */
    private void awaitWal(String id, long timeline, Lsn start, Lsn stop, long segmentSize, CommandOutput output)
            throws BackupException, IOException {
        String first = start.segmentName(timeline, segmentSize);
        String last = stop.previousSegmentName(timeline, segmentSize);
        long firstNumber = Long.divideUnsigned(start.value(), segmentSize);
        long lastNumber = Long.divideUnsigned(stop.value() - 1, segmentSize);
        long deadline = System.nanoTime() + settings.archiveTimeout().toNanos();
        long lastReport = 0;
        for (long segment = firstNumber; Long.compareUnsigned(segment, lastNumber) <= 0; segment++) {
            WalFileName name = WalFileName.parse(Lsn.segmentName(timeline, segment, segmentSize));
            while (true) {
                try {
                    if (fetch.archived(name)) {
                        break;
                    }
                } catch (RepositoryFormatException e) {
                    throw new BackupException(e.getMessage(), e);
                }
                if (output.cancelled()) {
                    throw new BackupException("cancelled: the client went away while the backup waited for " + name.name());
                }
                if (System.nanoTime() > deadline) {
                    throw new BackupException("backup " + id + " needs WAL " + first + " .. " + last + ", but " + name.name()
                            + " did not reach Walden's archive within " + settings.archiveTimeout().toSeconds()
                            + " s; the backup is incomplete and will never be offered for restore. HINT: check that"
                            + " archive_command runs 'walden push %p %f' (pg_stat_archiver shows failures), then back up again");
                }
                if (System.nanoTime() - lastReport > 1_000_000_000L) {
                    lastReport = System.nanoTime();
                    output.progress("backup " + id + ": waiting for " + name.name() + " to be archived (needs " + first + " .. " + last + ")");
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BackupException("interrupted while waiting for WAL");
                }
            }
        }
    }
}
