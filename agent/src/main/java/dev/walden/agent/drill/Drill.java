package dev.walden.agent.drill;

import dev.walden.agent.postgres.ScratchCluster;
import dev.walden.agent.backup.ArchivedTimelines;
import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.backup.Manifest;
import dev.walden.agent.command.CommandOutput;
import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.postgres.PostgresException;
import dev.walden.agent.postgres.PostgresSession;
import dev.walden.agent.postgres.PostgresSettings;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.restore.RecoveryTarget;
import dev.walden.agent.restore.RestoreException;
import dev.walden.agent.restore.RestoreRequest;
import dev.walden.agent.restore.Restorer;
import dev.walden.agent.wal.TimelineHistory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A restore drill (docs/runbook.md, "Drills"): restore into a scratch directory below {@code drill-path}, start a
 * temporary PostgreSQL from the cluster's own binaries on a Unix socket in that directory with archiving off, wait
 * for recovery and promotion, run the checks, stop it and remove the directory. The live cluster is never
 * contacted, its data directory and tablespaces never touched: tablespaces are restored below the scratch
 * directory, and the temporary server's settings come from the command line, over anything the backup carried.
 */
public final class Drill {
    private static final Logger LOG = Logger.getLogger(Drill.class.getName());
    static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    /** What {@code walden drill} was asked. */
    /** @param dumpId a logical dump to restore into a scratch database of the drill's server, and check there */
    /** @param zone where a --target-time without a zone is read: the caller's (the client sends its TZ) */
    public record Request(Optional<String> backupId, Optional<String> targetTime, boolean keep, String clientPath,
                          Optional<String> dumpId, Optional<ZoneId> zone) {
        public Request(Optional<String> backupId, Optional<String> targetTime, boolean keep, String clientPath, Optional<String> dumpId) {
            this(backupId, targetTime, keep, clientPath, dumpId, Optional.empty());
        }
    }

    static final String DUMP_DATABASE = "walden_drill_dump";

    private final BaseBackups backups;
    private final PostgresSettings postgres;
    private final AgentConfig.DrillSettings settings;
    private final int threads;
    private final Path socketPath;
    private final dev.walden.agent.paths.OwnedPaths owned;
    private final ZoneId zone;
    private final Clock clock;
    private final Consumer<DrillReport> listener;
    private final dev.walden.agent.logical.Dumps dumps;

    public Drill(BaseBackups backups, PostgresSettings postgres, AgentConfig.DrillSettings settings, int threads, Path socketPath,
                 dev.walden.agent.paths.OwnedPaths owned, ZoneId zone, Clock clock, Consumer<DrillReport> listener, dev.walden.agent.logical.Dumps dumps) {
        this.dumps = dumps;
        this.backups = backups;
        this.postgres = postgres;
        this.settings = settings;
        this.threads = threads;
        this.socketPath = socketPath;
        this.owned = owned;
        this.zone = zone;
        this.clock = clock;
        this.listener = listener;
    }

    public DrillReport run(Request request, CommandOutput output) throws DrillException, IOException {
        Instant started = clock.instant();
        String id = ID_TIME.format(started);
        // The drill deletes its scratch directory when done: judged as the kernel resolves it, against everything the
        // agent keeps and the live cluster's data directory.
        Path root;
        try {
            dev.walden.agent.paths.OwnedPaths guard = postgres.dataDirectory().map(p -> owned.plus(
                    new dev.walden.agent.paths.OwnedPaths.Owned(p, "live cluster's data directory (pg-data)"))).orElse(owned);
            root = guard.judge(settings.path().toAbsolutePath(), "drill-path");
        } catch (dev.walden.agent.paths.OwnedPaths.RefusedPathException e) {
            throw new DrillException(e.getMessage());
        }
        Optional<BackupCatalog> catalog;
        try {
            catalog = backups.catalog();
        } catch (RepositoryFormatException e) {
            throw new DrillException(e.getMessage());
        }
        if (catalog.isEmpty()) {
            throw new DrillException("the repository is empty: there is no backup to drill. HINT: take one with walden backup");
        }
        RecoveryTarget target;
        Optional<String> action;
        String targetText;
        if (request.targetTime().isPresent()) {
            try {
                ZoneId readIn = request.zone().orElse(zone);
                target = RecoveryTarget.parseTime(request.targetTime().get(), readIn, LocalDate.now(clock.withZone(readIn)));
            } catch (IllegalArgumentException e) {
                throw new DrillException(e.getMessage());
            }
            action = Optional.of("promote");
            targetText = target.value();
        } else if (request.backupId().isPresent()) {
            target = new RecoveryTarget.Immediate();
            action = Optional.of("promote");
            targetText = "immediate";
        } else {
            target = new RecoveryTarget.Latest();
            action = Optional.empty();
            targetText = "latest";
        }
        ScratchCluster scratch = ScratchCluster.create(root, "drill", id, postgres.dataDirectory());
        Session session = new Session(id, started, request, scratch, targetText, output);
        try {
            return session.run(catalog.get(), target, action);
        } finally {
            session.cleanUp();
        }
    }

    /** One drill in its scratch directory. */
    private final class Session {
        final String id;
        final Instant started;
        final Request request;
        final ScratchCluster scratch;
        final Path run;
        final Path data;
        final String targetText;
        final CommandOutput output;
        final List<DrillReport.Check> checks = new ArrayList<>();
        String backupId = "?";
        double restoreSeconds;
        double recoverySeconds;
        double checkSeconds;
        long bytesRestored;
        long walReplayed;
        Optional<String> recoveryEnd = Optional.empty();
        Optional<String> archiveEnd = Optional.empty();
        Optional<Instant> lastTransaction = Optional.empty();
        long followedTimeline;

        Session(String id, Instant started, Request request, ScratchCluster scratch, String targetText, CommandOutput output) {
            this.id = id;
            this.started = started;
            this.request = request;
            this.scratch = scratch;
            this.run = scratch.run();
            this.data = scratch.data();
            this.targetText = targetText;
            this.output = output;
        }

        DrillReport run(BackupCatalog catalog, RecoveryTarget target, Optional<String> action) {
            Optional<String> error = Optional.empty();
            try {
                error = drill(catalog, target, action);
            } catch (RestoreException e) {
                error = Optional.of("the restore failed: " + e.getMessage());
            } catch (IOException | PostgresException e) {
                error = Optional.of(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = Optional.of("interrupted");
            } catch (RuntimeException e) {
                LOG.log(java.util.logging.Level.SEVERE, "drill " + id + " failed unexpectedly", e);
                error = Optional.of("internal error: " + e);
            }
            stopServer();
            DrillReport report = new DrillReport(id, started, clock.instant(), backupId, targetText,
                    new DrillReport.Phases(restoreSeconds, recoverySeconds, checkSeconds), bytesRestored, walReplayed, recoveryEnd,
                    archiveEnd, lastTransaction, checks, error, request.keep(), run.toString());
            try {
                new DrillReports(backups.objects(), catalog.systemIdentifier()).store(report, settings.retainDays(), clock.instant());
            } catch (IOException e) {
                output.err("walden: warning: the drill report could not be stored in the repository: " + e.getMessage() + "\n");
            }
            LOG.info("drill " + id + " of backup " + backupId + ": " + (report.passed() ? "passed" : "FAILED")
                    + String.format(", RTO %.1f s", report.rtoSeconds()) + error.map(e -> ": " + e).orElse(""));
            listener.accept(report);
            return report;
        }

        Optional<String> drill(BackupCatalog catalog, RecoveryTarget target, Optional<String> action)
                throws RestoreException, IOException, PostgresException, InterruptedException {
            long t0 = System.nanoTime();
            Map<Long, String> newestAtStart = newestSegments(catalog);
            output.progress("drill: restoring into " + data);
            Restorer restorer = new Restorer(catalog, backups.timelines(), threads, socketPath, zone, clock,
                    new dev.walden.agent.restore.ArchiveRetrieval.Settings(settings.retrieval().days(), settings.retrieval().speed()));
            // A drill proves what production can restore: it follows the live primary's timeline, never one that a
            // promoted test restore (or another cluster) archived here; the report says when there is such a one.
            Optional<String> timeline = Optional.empty();
            Optional<BaseBackups.StrayTimeline> stray = backups.strayTimeline(catalog.systemIdentifier());
            if (stray.isPresent()) {
                timeline = Optional.of(Long.toString(stray.get().live()));
                checks.add(new DrillReport.Check("timeline", true, "followed the live primary's timeline " + stray.get().live()
                        + "; the archive also holds timeline " + stray.get().stray() + ", which the primary never had"
                        + " (walden verify reports it)"));
            }
            Restorer.Outcome restored = restorer.restore(new RestoreRequest(data, request.backupId(), target, action, timeline,
                    Map.of(), false, false, request.clientPath(), owned, Optional.of(run.resolve("tablespaces"))), quiet(output));
            BackupSummary backup = restored.backup();
            backupId = backup.id();
            bytesRestored = restored.bytes();
            restoreSeconds = (System.nanoTime() - t0) / 1e9;

            Optional<String> binaries = scratch.useBinaries(settings.pgBin(), backup.pgVersion() / 10000);
            if (binaries.isPresent()) {
                return binaries;
            }
            long t1 = System.nanoTime();
            output.progress("drill: restored " + dev.walden.agent.backup.TransferProgress.size(bytesRestored) + "; recovering (WAL fetch and replay)");
            scratch.start("walden-drill-" + id);
            Optional<String> recovery = scratch.awaitPromotion(settings.timeout(), postgres.user(), postgres.database(), output::cancelled,
                    line -> output.progress("drill: " + line));
            recoverySeconds = (System.nanoTime() - t1) / 1e9;
            if (recovery.isPresent()) {
                return recovery;
            }
            long t2 = System.nanoTime();
            output.progress("drill: recovered; checking");
            recoveryPoint(backup, newestAtStart);
            runChecks(catalog, backup);
            checkSeconds = (System.nanoTime() - t2) / 1e9;
            return Optional.empty();
        }

        /**
         * The newest complete segment archived on each timeline as the drill starts: WAL the live cluster archives
         * later is not what this recovery could have seen.
         */
        Map<Long, String> newestSegments(BackupCatalog catalog) throws IOException {
            Map<Long, String> newest = new java.util.HashMap<>();
            catalog.wal().forEach(file -> {
                if (file.name().kind() == dev.walden.agent.wal.WalFileKind.SEGMENT) {
                    newest.merge(file.name().timeline(), file.name().name(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                }
            });
            return newest;
        }

        void chown(Path file) throws IOException {
            scratch.chown(file);
        }

        PostgresSettings drillSettings(String database) {
            return scratch.settings(postgres.user(), database);
        }

        String logTail() {
            return scratch.logTail();
        }

        /** Where recovery ended, on which timeline, and how far the archive reached on that timeline when the drill began. */
        void recoveryPoint(BackupSummary backup, Map<Long, String> newestAtStart) throws IOException, PostgresException {
            try (Stream<Path> files = Files.list(data.resolve("pg_wal"))) {
                Optional<Path> history = files.filter(p -> p.getFileName().toString().matches("[0-9A-F]{8}\\.history"))
                        .max(Comparator.comparing(p -> p.getFileName().toString()));
                if (history.isPresent()) {
                    String name = history.get().getFileName().toString();
                    TimelineHistory parsed = TimelineHistory.parse(Long.parseLong(name.substring(0, 8), 16), Files.readString(history.get()));
                    if (!parsed.ancestors().isEmpty()) {
                        TimelineHistory.Entry followed = parsed.ancestors().get(parsed.ancestors().size() - 1);
                        long end = followed.switchLsn();
                        recoveryEnd = Optional.of(new Lsn(end).toString());
                        String newest = newestAtStart.get(followed.timeline());
                        if (newest != null) {
                            long segment = dev.walden.agent.wal.WalFileName.parse(newest).segmentNumber(backup.walSegmentSize());
                            archiveEnd = Optional.of(new Lsn((segment + 1) * backup.walSegmentSize()).toString());
                        }
                        followedTimeline = followed.timeline();
                        walReplayed = Math.max(0, end - backup.startLsn().value());
                    }
                }
            }
            try (PostgresSession session = PostgresSession.open(drillSettings(postgres.database()))) {
                lastTransaction = session.firstValue("SELECT extract(epoch FROM pg_last_xact_replay_timestamp())")
                        .map(s -> Instant.ofEpochMilli(Math.round(Double.parseDouble(s) * 1000)));
            }
        }

        void runChecks(BackupCatalog catalog, BackupSummary backup) throws InterruptedException {
            check("connect", () -> {
                try (PostgresSession session = PostgresSession.open(drillSettings(postgres.database()))) {
                    String one = session.firstValue("SELECT 1").orElse("");
                    return new Result(one.equals("1"), "SELECT 1 returned " + one);
                }
            });
            check("recovery point", () -> recoveryPointCheck(backup));
            check("pg_amcheck", this::amcheck);
            check("row counts", () -> rowCounts(catalog, backup));
            sqlChecks();
            if (request.dumpId().isPresent()) {
                check("dump restore", this::restoreDump);
                if (checks.get(checks.size() - 1).passed()) {
                    check("dump pg_amcheck", () -> amcheck(List.of("--database=" + DUMP_DATABASE, "--install-missing")));
                }
            }
        }

        record Result(boolean passed, String detail) {}

        @FunctionalInterface
        interface CheckBody {
            Result run() throws Exception;
        }

        void check(String name, CheckBody body) {
            try {
                Result r = body.run();
                checks.add(new DrillReport.Check(name, r.passed(), r.detail()));
            } catch (Exception e) {
                checks.add(new DrillReport.Check(name, false, "could not run: " + e.getMessage()));
            }
        }

        Result recoveryPointCheck(BackupSummary backup) {
            if (recoveryEnd.isEmpty()) {
                return new Result(false, "the recovered server left no timeline history: where recovery ended is unknown");
            }
            long end = Lsn.parse(recoveryEnd.get()).value();
            return switch (targetText) {
                case "immediate" -> new Result(Long.compareUnsigned(end, backup.stopLsn().value()) >= 0,
                        "recovery ended at " + recoveryEnd.get() + "; the backup is consistent from " + backup.stopLsn());
                case "latest" -> {
                    if (archiveEnd.isEmpty()) {
                        yield new Result(true, "recovery ended at " + recoveryEnd.get() + " on timeline " + followedTimeline
                                + ", which had no complete segment archived when the drill began");
                    }
                    long archive = Lsn.parse(archiveEnd.get()).value();
                    boolean reached = Long.compareUnsigned(end, archive - backup.walSegmentSize()) >= 0;
                    yield new Result(reached, reached ? "recovery ended at " + recoveryEnd.get() + " on timeline " + followedTimeline
                            + ", in or after the newest segment archived when the drill began (which ends at " + archiveEnd.get() + ")" : "recovery stopped at " + recoveryEnd.get() + " but the archive reaches "
                            + archiveEnd.get() + ": WAL is missing in between, and a restore now would lose what follows. HINT: walden verify"
                            + " names the gap");
                }
                default -> new Result(true, "recovery reached the target " + targetText + " and ended at " + recoveryEnd.get()
                        + lastTransaction.map(t -> "; last transaction " + t).orElse(""));
            };
        }

        /** The logical dump, restored into a new database of the drill's server: proof that it restores. */
        Result restoreDump() throws Exception {
            String id = request.dumpId().get();
            dumps.restore(new dev.walden.agent.logical.Dumps.RestoreRequest(id, DUMP_DATABASE, true, List.of(), List.of(), 1, false, false,
                    true, true), drillSettings(postgres.database()), quiet(output));
            try (PostgresSession session = PostgresSession.open(drillSettings(DUMP_DATABASE))) {
                String tables = session.firstValue("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')").orElse("0");
                return new Result(true, "dump " + id + " restored into " + DUMP_DATABASE + ": " + tables + " tables");
            }
        }

        Result amcheck() throws IOException, InterruptedException {
            return amcheck(List.of("--all", "--install-missing"));
        }

        Result amcheck(List<String> scope) throws IOException, InterruptedException {
            Path log = run.resolve("pg_amcheck.log");
            List<String> arguments = new ArrayList<>(List.of("-h", run.toString(), "-p", Integer.toString(ScratchCluster.PORT), "-U", postgres.user()));
            arguments.addAll(scope);
            int exit;
            try {
                exit = scratch.runProgram(log, settings.timeout(), "pg_amcheck", arguments.toArray(String[]::new));
            } catch (IOException timedOut) {
                return new Result(false, "pg_amcheck did not finish within drill-timeout");
            }
            String text = Files.readString(log).strip();
            String firstLines = String.join(" | ", text.lines().limit(5).toList());
            return exit == 0 ? new Result(true, (scope.contains("--all") ? "every database's" : String.join(" ", scope) + ":")
                    + " heap and btree indexes checked: no corruption")
                    : new Result(false, "pg_amcheck exit " + exit + ": " + firstLines);
        }

        Result rowCounts(BackupCatalog catalog, BackupSummary backup) throws Exception {
            Manifest.Header manifest = catalog.manifestHeader(backup.id());
            if (manifest.rowCounts().isEmpty()) {
                return new Result(true, "backup " + backup.id() + " recorded no row counts (taken by an older agent, or no tables)");
            }
            List<String> details = new ArrayList<>();
            boolean passed = true;
            for (Manifest.TableCount t : manifest.rowCounts()) {
                String name = t.database() + "." + t.schema() + "." + t.table();
                try (PostgresSession session = PostgresSession.open(drillSettings(t.database()))) {
                    long now = session.count(t.schema(), t.table());
                    if (t.rows() > 0 && now == 0) {
                        passed = false;
                        details.add(name + " is empty, but had " + t.rows() + " rows at backup time");
                    } else {
                        details.add(name + " " + now + (now == t.rows() ? " = " : " vs ") + t.rows() + " at backup time");
                    }
                } catch (PostgresException e) {
                    passed = false;
                    details.add(name + " cannot be read: " + e.getMessage());
                }
            }
            return new Result(passed, String.join("; ", details));
        }

        void sqlChecks() {
            if (settings.sqlFile().isEmpty()) {
                return;
            }
            List<SqlChecks.SqlCheck> parsed;
            try {
                parsed = SqlChecks.parse(Files.readString(settings.sqlFile().get()));
            } catch (IOException | IllegalArgumentException e) {
                checks.add(new DrillReport.Check("drill-sql-file", false, settings.sqlFile().get() + ": " + e.getMessage()));
                return;
            }
            for (SqlChecks.SqlCheck c : parsed) {
                check("sql line " + c.line(), () -> {
                    try (PostgresSession session = PostgresSession.open(drillSettings(c.database().orElse(postgres.database())))) {
                        Optional<String> value = session.firstValue(c.sql());
                        boolean ok = SqlChecks.passes(c, value);
                        return new Result(ok, c.describe() + " returned " + value.orElse("no row")
                                + (ok ? "" : ", expected " + c.expected().orElse("true")));
                    }
                });
            }
        }

        void stopServer() {
            scratch.stop();
        }

        void cleanUp() {
            if (request.keep()) {
                scratch.close();
                output.err("walden: the drill's directory is kept for investigation: " + run + " (remove it when done)\n");
                return;
            }
            scratch.remove(warning -> output.err("walden: warning: " + warning + "\n"));
        }
    }

    private static CommandOutput quiet(CommandOutput output) {
        return CommandOutput.progressOnly(output, "drill: ");
    }
}
