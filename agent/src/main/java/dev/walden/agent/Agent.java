package dev.walden.agent;

import dev.walden.agent.codec.ZstdCompressor;
import dev.walden.agent.command.FetchCommand;
import dev.walden.agent.command.PushCommand;
import dev.walden.agent.command.RequestRouter;
import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.KeyringException;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.pipeline.PushPipeline;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.server.AgentServer;
import dev.walden.agent.storage.LocalDirectoryStorage;
import dev.walden.agent.storage.ClassifiedStorage;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.storage.StorageErrors;
import dev.walden.agent.storage.s3.S3Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import dev.walden.agent.server.PeerPolicy;
import dev.walden.agent.paths.OwnedPaths;
import dev.walden.agent.lookahead.PushAhead;
import dev.walden.agent.prefetch.RestorePrefetch;
import dev.walden.agent.systemd.SystemdNotifier;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.command.BackupCommand;
import dev.walden.agent.command.RestoreCommand;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.KeyringCheck;
import dev.walden.agent.postgres.PostgresException;
import java.time.Clock;
import java.time.ZoneId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import dev.walden.agent.command.DrillCommand;
import dev.walden.agent.command.DumpCommand;
import dev.walden.agent.logical.Dumps;
import dev.walden.agent.command.StatusCommand;
import dev.walden.agent.drill.Drill;
import dev.walden.agent.metrics.MetricsEndpoint;
import dev.walden.agent.metrics.WaldenMetrics;
import dev.walden.agent.notify.Notifier;
import dev.walden.agent.schedule.RunRecords;
import dev.walden.agent.schedule.Scheduler;
import dev.walden.protocol.Request;
import dev.walden.protocol.Result;
import dev.walden.agent.command.ExpireCommand;
import dev.walden.agent.command.VerifyCommand;
import dev.walden.agent.retention.Expiry;
import dev.walden.agent.verify.Verifier;

/**
 * The running agent: every component, composed in one place from a validated configuration, started in order
 * and stopped in reverse.
 */
public final class Agent implements AutoCloseable {
    public static final String VERSION = "0.1.0";
    private static final Logger LOG = Logger.getLogger(Agent.class.getName());

    private final Storage storage;
    /** Each repository's driver, closed last. */
    private final List<Storage> drivers;
    private final ThreadPoolExecutor workers;
    /** Long commands (backup, restore, listing) run here, never on the workers that WAL needs. */
    private final ThreadPoolExecutor commands;
    static final int COMMAND_THREADS = 4;
    private final AgentServer server;
    private final SystemdNotifier systemd;
    /** Beside the socket, where bin/walden finds segments already stored ahead (docs/architecture.md). */
    static final String PUSHED_AHEAD_DIRECTORY = "archived-ahead";
    private final PushAhead pushAhead;
    private final RestorePrefetch prefetch;

    /** Scheduler, metrics endpoint, monitor and notifier: stopped before the server, in reverse order of start. */
    private final List<AutoCloseable> closeFirst;

    private Agent(Storage storage, List<Storage> drivers, ThreadPoolExecutor workers, ThreadPoolExecutor commands, AgentServer server,
                  SystemdNotifier systemd, PushAhead pushAhead, RestorePrefetch prefetch, List<AutoCloseable> closeFirst) {
        this.closeFirst = closeFirst;
        this.storage = storage;
        this.drivers = drivers;
        this.workers = workers;
        this.commands = commands;
        this.server = server;
        this.systemd = systemd;
        this.pushAhead = pushAhead;
        this.prefetch = prefetch;
    }

    /** Starts an agent that is not supervised by systemd (tests, foreground runs without NOTIFY_SOCKET). */
    public static Agent start(AgentConfig config) throws IOException, KeyringException, RepositoryFormatException {
        return start(config, Map.of());
    }

    /** @param environment where systemd's NOTIFY_SOCKET and WATCHDOG_USEC are read from */
    public static Agent start(AgentConfig config, Map<String, String> environment)
            throws IOException, KeyringException, RepositoryFormatException {
        return start(config, environment, Clock.systemUTC());
    }

    /**
     * @param clock what backups, retention and verify take as now: the system clock, except in tests that age a
     *              repository by months without waiting for them
     */
    public static Agent start(AgentConfig config, Map<String, String> environment, Clock clock)
            throws IOException, KeyringException, RepositoryFormatException {
        return start(config, environment, clock, java.util.function.UnaryOperator.identity());
    }

    /**
     * @param storageWrapper wraps the opened storage: the identity, except in tests that inject storage failures
     *                       (a full disk, an unreadable directory, an S3 answer that is garbage) into a real agent
     */
    public static Agent start(AgentConfig config, Map<String, String> environment, Clock clock,
                              java.util.function.UnaryOperator<Storage> storageWrapper)
            throws IOException, KeyringException, RepositoryFormatException {
        return start(config, environment, clock, (number, driver) -> number == 1 ? storageWrapper.apply(driver) : driver);
    }

    /** @param storageWrappers wraps repository N's opened storage (tests inject failures into one of several) */
    public static Agent start(AgentConfig config, Map<String, String> environment, Clock clock,
                              java.util.function.BiFunction<Integer, Storage, Storage> storageWrappers)
            throws IOException, KeyringException, RepositoryFormatException {
        PeerPolicy peers;
        try {
            peers = PeerPolicy.of(config.allowedUsers(), config.operatorUsers(), PeerPolicy.currentUid(), Path.of("/etc/passwd"));
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        Keyring keyring = config.encrypted()
                ? KeyringFile.load(config.keyringPath().orElseThrow(), config.keyringPassphraseFile())
                : Keyring.EMPTY;
        ObjectEncryption encryption = config.encrypted()
                ? ObjectEncryption.aesGcm(keyring, ObjectEncryption.RandomBytes.secure())
                : ObjectEncryption.none();
        StorageErrors storageErrors = new StorageErrors(clock);
        List<Storage> opened = new ArrayList<>();
        List<dev.walden.agent.storage.mirror.Mirror.Member> members = new ArrayList<>();
        try {
            for (AgentConfig.RepositorySettings settings : config.repositories()) {
                Storage driver = openStorage(settings, config.severalRepositories());
                opened.add(driver);
                Storage classified = new ClassifiedStorage(storageWrappers.apply(settings.number(), driver), storageErrors);
                // WAL and everything else share each repository's rate limits, WAL first: each sees the store in its lane.
                dev.walden.agent.storage.RateLimits.Shared limits = settings.rateLimits().share();
                members.add(new dev.walden.agent.storage.mirror.Mirror.Member(settings.number(),
                        limits.view(classified, dev.walden.agent.storage.RateLimit.Lane.HISTORY),
                        limits.view(classified, dev.walden.agent.storage.RateLimit.Lane.WAL),
                        limits.view(classified, dev.walden.agent.storage.RateLimit.Lane.BULK)));
            }
        } catch (IOException | RuntimeException e) {
            for (Storage driver : opened) {
                driver.close();
            }
            throw e;
        }
        dev.walden.agent.storage.mirror.Mirror mirror = null;
        Storage walStore = members.get(0).wal();
        Storage historyStore = members.get(0).history();
        Storage bulkStore = members.get(0).bulk();
        if (config.severalRepositories()) {
            mirror = new dev.walden.agent.storage.mirror.Mirror(members, config.readOrder(), config.spoolPath(), clock);
            dev.walden.agent.storage.mirror.Mirror.Policy ack = config.archiveAckFirst() ? dev.walden.agent.storage.mirror.Mirror.Policy.FIRST
                    : dev.walden.agent.storage.mirror.Mirror.Policy.EVERY;
            walStore = mirror.wal(ack);
            historyStore = mirror.histories(ack);
            bulkStore = mirror.bulk();
        }
        Storage storage = walStore;
        PushAhead pushAhead = PushAhead.NONE;
        RestorePrefetch prefetch = RestorePrefetch.NONE;
        ThreadPoolExecutor workers = null;
        ThreadPoolExecutor commands = null;
        List<AutoCloseable> closeFirst = new ArrayList<>();
        try {
            Repository repository = new Repository(walStore, historyStore);
            checkRepositories(members, encryption.repositoryMode());
            PushPipeline pushPipeline = new PushPipeline(repository, new ZstdCompressor(config.compressLevel()), encryption, keyring);
            FetchPipeline fetchPipeline = new FetchPipeline(repository, keyring);
            if (config.pushAhead() > 0) {
                pushAhead = new PushAhead(pushPipeline, config.pushAhead(), config.pushAheadThreads(), config.markReadyDone(),
                        config.socketPath().resolveSibling(PUSHED_AHEAD_DIRECTORY));
            }
            if (config.prefetch() > 0) {
                prefetch = new RestorePrefetch(fetchPipeline, config.spoolPath(), config.prefetch(), config.prefetchThreads(),
                        (long) config.spoolMib() << 20);
            }
            BackupObjects backupObjects = new BackupObjects(bulkStore,
                    new ZstdCompressor(config.backup().compressLevel()), encryption, keyring,
                    config.spoolPath());
            if (!keyring.isEmpty()) {
                KeyringCheck.check(backupObjects, keyring);
            }
            BaseBackups backups = new BaseBackups(config.postgres(), config.backup(), repository, backupObjects, fetchPipeline,
                    encryption.repositoryMode(), clock);
            ZoneId zone = ZoneId.systemDefault();
            Instant startedAt = clock.instant();
            Supplier<Double> readyBacklog = readyBacklog(config);
            AtomicReference<Scheduler> schedulerRef = new AtomicReference<>();
            WaldenMetrics metrics = new WaldenMetrics(readyBacklog, 16L << 20, storageErrors, () -> {
                Scheduler s = schedulerRef.get();
                Map<String, Instant> next = new java.util.HashMap<>();
                if (s != null) {
                    s.nextRuns().forEach((kind, at) -> next.put(kind.label, at));
                }
                return next;
            });
            Notifier notifier = new Notifier(config.notifications().command(), clock, hostName());
            closeFirst.add(notifier);
            dev.walden.agent.guard.PgWalGuard spill = openGuard(config, repository, pushPipeline, backupObjects, encryption, keyring, clock,
                    new dev.walden.agent.guard.PgWalGuard.Aftercare() {
                        @Override
                        public void dropped(dev.walden.agent.wal.WalFileName name, String message) {
                            metrics.segmentDropped();
                            notifier.report("wal-dropped", true, message);
                        }

                        @Override
                        public java.util.Optional<Instant> newestFullStarted() throws IOException {
                            try {
                                java.util.Optional<dev.walden.agent.backup.BackupCatalog> catalog = backups.catalog();
                                return catalog.isEmpty() ? java.util.Optional.empty() : catalog.get().list().complete().stream()
                                        .filter(b -> b.type() == dev.walden.agent.backup.BackupType.FULL)
                                        .map(dev.walden.agent.backup.BackupSummary::started).max(Instant::compareTo);
                            } catch (RepositoryFormatException | dev.walden.agent.backup.BackupCatalog.CatalogException e) {
                                throw new IOException(e.getMessage(), e);
                            }
                        }

                        @Override
                        public void startFullBackup() {
                            Scheduler scheduler = schedulerRef.get();
                            if (scheduler != null) {
                                scheduler.runNow(dev.walden.agent.schedule.JobKind.BACKUP_FULL);
                            }
                        }
                    });
            closeFirst.add(spill);
            metrics.spilledFiles(spill::waiting);
            List<dev.walden.agent.command.RepositoryServices> each = new ArrayList<>();
            for (int i = 0; i < members.size(); i++) {
                AgentConfig.RepositorySettings settings = config.repositories().get(i);
                BaseBackups own = backups;
                FetchPipeline ownFetch = fetchPipeline;
                if (mirror != null) {
                    Repository alone = new Repository(members.get(i).wal(), members.get(i).history());
                    ownFetch = new FetchPipeline(alone, keyring);
                    own = new BaseBackups(config.postgres(), config.backup(), alone, new BackupObjects(members.get(i).bulk(),
                            new ZstdCompressor(config.backup().compressLevel()), encryption, keyring, config.spoolPath()),
                            ownFetch, encryption.repositoryMode(), clock);
                }
                each.add(new dev.walden.agent.command.RepositoryServices(settings.number(), members.get(i).wal().describe(), own,
                        new Expiry(own, settings.retention(), clock, settings.tiers()),
                        new Verifier(own, ownFetch, settings.retention(), config.backup().threads(), config.verifyAllEvery(), clock)));
            }
            Dumps dumps = new Dumps(repository, backupObjects, encryption.repositoryMode(), config.postgres(), config.drill().pgBin(),
                    config.dumpExclude(), config.spoolPath(), config.retention(), clock,
                    dump -> metrics.dumpSucceeded(dump.subject(), dump.stopped()));
            Drill drill = new Drill(backups, config.postgres(), config.drill(), config.backup().threads(), config.socketPath(),
                    ownedPaths(config), zone, clock, report -> {
                        metrics.drilled(report.finished(), report.passed(), report.rtoSeconds(), report.rpoSeconds().orElse(Double.NaN));
                        notifier.report("drill", !report.passed(), "drill " + report.id() + " of backup " + report.backup() + ": "
                                + (report.passed() ? "passed" : "failed") + report.error().map(e -> ": " + e).orElse(""));
                    }, dumps);
            RunRecords runRecords = new RunRecords(repository, backupObjects);
            AtomicReference<RequestRouter> routerRef = new AtomicReference<>();
            String client = clientPath();
            Scheduler scheduler = new Scheduler(config.schedules(), kind -> {
                Result result = routerRef.get().run(new Request.Command(kind.command, "/", client, false), new LoggedOutput(kind.label));
                return new Scheduler.Outcome(result.exitCode(), result.message());
            }, runRecords, run -> {
                if (run.job().startsWith("backup") || run.job().equals("dump")) {
                    notifier.report("job:" + run.job(), run.outcome().equals("failed"), "scheduled " + run.job() + " " + run.outcome()
                            + ": " + run.message());
                }
            }, clock);
            schedulerRef.set(scheduler);
            closeFirst.add(scheduler);
            RequestRouter router = new RequestRouter(
                    new PushCommand(pushPipeline, pushAhead, metrics, spill), new FetchCommand(fetchPipeline, prefetch, metrics, spill),
                    new BackupCommand(backups, each, zone, clock, metrics),
                    new RestoreCommand(backups, config.backup().threads(), config.socketPath(),
                            ownedPaths(config).plus(new OwnedPaths.Owned(config.drill().path(), "drill path")), zone, clock,
                            new dev.walden.agent.restore.ArchiveRetrieval.Settings(config.retrieval().days(), config.retrieval().speed()),
                            config.postgres().dataDirectory().isPresent() ? java.util.Optional.of(primaryConninfo(config.postgres()))
                                    : java.util.Optional.empty()),
                    new ExpireCommand(each, dumps, zone), new VerifyCommand(each, zone, report -> {
                        int missing = report.problems().stream().filter(p -> p.kind().equals("wal-gap") || p.kind().equals("backup-wal-missing"))
                                .mapToInt(p -> gapSize(p)).sum();
                        metrics.verified(report.finished(), report.exitCode(), missing);
                        notifier.report("verify", report.exitCode() != 0, "verify: " + report.result() + ", " + report.problems().size()
                                + " problems" + report.error().map(e -> ": " + e).orElse(report.problems().isEmpty() ? ""
                                : ": " + report.problems().get(0).message()));
                    }),
                    new DrillCommand(drill, zone),
                    new StatusCommand(VERSION, startedAt, backups, repository, metrics, readyBacklog, scheduler, runRecords,
                            config.retention(), zone, clock, dumps, spill,
                            repositoryStates(mirror)),
                    new DumpCommand(dumps, ownedPaths(config).plus(new OwnedPaths.Owned(config.drill().path(), "drill path"))
                            .plus(config.postgres().dataDirectory().map(p -> new OwnedPaths.Owned(p, "live cluster's data directory (pg-data)"))
                                    .stream().toArray(OwnedPaths.Owned[]::new)), zone, clock),
                    new dev.walden.agent.command.RestoreTableCommand(config.postgres().dataDirectory().isEmpty() ? java.util.Optional.empty()
                            : java.util.Optional.of(new dev.walden.agent.restore.TableRestore(backups, config.postgres(), config.drill().path(),
                            config.drill().pgBin(), config.drill().timeout(), config.backup().threads(), config.socketPath(),
                            ownedPaths(config), zone, clock)), zone, clock),
                    VERSION);
            routerRef.set(router);
            if (config.metricsListen().isPresent()) {
                MetricsEndpoint endpoint = MetricsEndpoint.start(config.metricsListen().get(), metrics);
                closeFirst.add(endpoint);
                LOG.info("metrics on http://" + config.metricsListen().get().getHostString() + ":" + endpoint.port() + "/metrics");
            }
            closeFirst.add(Monitor.start(repository, backups, metrics, notifier, config.notifications().archiveFailing(), config.retention(), clock));
            commands = new ThreadPoolExecutor(COMMAND_THREADS, COMMAND_THREADS, 60, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(COMMAND_THREADS), Thread.ofPlatform().name("walden-command-", 1).daemon().factory());
            workers = new ThreadPoolExecutor(config.workerThreads(), config.workerThreads(),
                    60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(config.maxQueuedRequests()),
                    Thread.ofPlatform().name("walden-worker-", 1).daemon().factory());
            AgentServer server = AgentServer.start(config.socketPath(), config.socketMode(), peers, router, workers, commands,
                    config.commandStallTimeout());
            if (config.postgres().dataDirectory().isPresent()) {
                checkClusterInBackground(backups);
            }
            SystemdNotifier systemd = SystemdNotifier.fromEnvironment(environment, server.eventLoop());
            linkSpoolForLauncher(config, prefetch);
            removeLeftoversInBackground(config, opened);
            LOG.info("walden-agent " + VERSION + " started: repository " + storage.describe() + ", compress zstd-"
                    + config.compressLevel() + ", encryption " + encryption.repositoryMode()
                    + (keyring.isEmpty() ? "" : " (active key " + keyring.activeId() + ", " + keyring.ids().size() + " keys)")
                    + ", " + config.workerThreads() + " workers, users " + peers.describe());
            scheduler.start();
            if (mirror != null) {
                closeFirst.add(mirror);
                mirror.start();
                metrics.repositoryLag(mirror::lag);
            }
            systemd.send("READY=1\nSTATUS=archiving to " + storage.describe() + "\nMAINPID=" + ProcessHandle.current().pid());
            return new Agent(storage, opened, workers, commands, server, systemd, pushAhead, prefetch, closeFirst);
        } catch (IOException | RepositoryFormatException | RuntimeException e) {
            closeAll(closeFirst);
            if (workers != null) {
                workers.shutdownNow();
            }
            if (commands != null) {
                commands.shutdownNow();
            }
            pushAhead.close();
            prefetch.close();
            for (Storage opened1 : opened) {
                opened1.close();
            }
            throw e;
        }
    }

    /**
     * bin/walden serves a prefetched segment itself, with a hard link and no JVM start, when it finds
     * SOCKET_DIR/prefetch/%f owned by its user; this link tells it where the spool is. Spool files appear under
     * their WAL name only once fetched and verified, so what the launcher finds there is whole and right.
     */
    private static void linkSpoolForLauncher(AgentConfig config, RestorePrefetch prefetch) {
        Path link = config.socketPath().resolveSibling("prefetch");
        try {
            Files.deleteIfExists(link);
            if (prefetch != RestorePrefetch.NONE) {
                Files.createSymbolicLink(link, prefetch.spool());
            }
        } catch (IOException e) {
            LOG.warning("could not link " + link + " to the spool; every fetch will go through the agent: " + e.getMessage());
        }
    }

    /**
     * What no command may write into or delete for a caller: the repository, the spool, the socket and what lies beside
     * it, the keyring and its passphrase, the configuration file. The drill path is added for restores and dumps
     * (a drill writes there itself).
     */
    static OwnedPaths ownedPaths(AgentConfig config) {
        List<OwnedPaths.Owned> owned = new ArrayList<>();
        for (AgentConfig.RepositorySettings repository : config.repositories()) {
            if (repository.type().equals("local")) {
                owned.add(new OwnedPaths.Owned(repository.path(), config.severalRepositories() ? "repository " + repository.number() : "repository"));
            }
        }
        owned.add(new OwnedPaths.Owned(config.spoolPath(), "spool"));
        if (config.spill().enabled()) {
            owned.add(new OwnedPaths.Owned(config.spill().path(), "spill directory"));
        }
        owned.add(new OwnedPaths.Owned(config.socketPath(), "socket"));
        owned.add(new OwnedPaths.Owned(config.socketPath().resolveSibling(PUSHED_AHEAD_DIRECTORY), "pushed-ahead directory"));
        config.keyringPath().ifPresent(p -> owned.add(new OwnedPaths.Owned(p, "keyring")));
        config.keyringPassphraseFile().ifPresent(p -> owned.add(new OwnedPaths.Owned(p, "keyring passphrase file")));
        config.configFile().ifPresent(p -> owned.add(new OwnedPaths.Owned(p, "configuration file")));
        return new OwnedPaths(owned);
    }

    /**
     * What killed runs left: temporary files of unfinished puts in a local repository (a killed backup or dump), and
     * dump restore spool files. On a thread of its own, as walking a large repository takes a while.
     */
    /**
     * pg-wal-guard = spill: a second repository of the same layout on spill-path, written and read through the same
     * pipelines, forwarding into the agent's repository through {@code repositoryPush}.
     */
    private static dev.walden.agent.guard.PgWalGuard openGuard(AgentConfig config, Repository repository, PushPipeline repositoryPush,
                                                               BackupObjects repositoryObjects, ObjectEncryption encryption,
                                                               Keyring keyring, Clock clock,
                                                               dev.walden.agent.guard.PgWalGuard.Aftercare aftercare)
            throws IOException, RepositoryFormatException {
        if (!config.spill().enabled()) {
            return dev.walden.agent.guard.PgWalGuard.OFF;
        }
        Path path = config.spill().path();
        if (config.repoType().equals("local") && (path.startsWith(config.repoPath()) || config.repoPath().startsWith(path))) {
            throw new RepositoryFormatException("spill-path " + path + " overlaps repo-path " + config.repoPath()
                    + ". HINT: put spill-path on another volume than the repository and pg_wal");
        }
        Repository spillRepository;
        try {
            spillRepository = new Repository(new LocalDirectoryStorage(path));
        } catch (IOException e) {
            throw new IOException("spill-path " + path + " cannot be created or written (" + e.getMessage() + "); pg-wal-guard needs"
                    + " it. HINT: create it for the agent's user; under systemd add it to ReadWritePaths= (systemctl edit"
                    + " walden-agent)", e);
        }
        spillRepository.checkEncryption(encryption.repositoryMode());
        if (config.repoType().equals("local")) {
            try {
                if (Files.getFileStore(path).equals(Files.getFileStore(config.repoPath()))) {
                    LOG.warning("spill-path " + path + " is on the same file system as repo-path " + config.repoPath()
                            + ": when that one fails, so does the spill. HINT: put spill-path on another volume");
                }
            } catch (IOException e) {
                // the repository is not there yet, or cannot be read: its own checks say so
            }
        }
        return new dev.walden.agent.guard.PgWalGuard(config.spill(), spillRepository,
                new PushPipeline(spillRepository, new ZstdCompressor(config.compressLevel()), encryption, keyring),
                new FetchPipeline(spillRepository, keyring), repositoryPush, config.spoolPath(), repository, repositoryObjects,
                aftercare, clock);
    }

    /** @param storage the driver itself, not the agent's door to it: only the local driver has temporary files */
    private static void removeLeftoversInBackground(AgentConfig config, List<Storage> drivers) {
        java.nio.file.attribute.FileTime started = java.nio.file.attribute.FileTime.from(Instant.now());
        Thread.ofPlatform().name("walden-leftovers").daemon().start(() -> {
            try (var spooled = Files.newDirectoryStream(config.spoolPath(), "{dump-*.restore,.dump-*.walden-*,.spill-*.walden-tmp,.mirror-*.walden-tmp,"
                    + dev.walden.agent.backup.ScratchFile.GLOB + "}")) {
                for (Path file : spooled) {
                    if (Files.getLastModifiedTime(file).compareTo(started) >= 0) {
                        continue;  // written by this agent, which is already at work
                    }
                    Files.deleteIfExists(file);
                    LOG.info("removed " + file + ", left by an interrupted dump restore or backup");
                }
            } catch (java.nio.file.NoSuchFileException noSpool) {
                // nothing spooled yet
            } catch (IOException e) {
                LOG.warning("could not clean the spool " + config.spoolPath() + ": " + e.getMessage());
            }
            for (Storage storage : drivers) {
                if (storage instanceof LocalDirectoryStorage local) {
                    try {
                        long[] removed = local.removeAbandonedPuts(ABANDONED_PUT_AGE);
                        if (removed[0] > 0) {
                            LOG.info("removed " + removed[0] + " temporary files (" + removed[1] + " bytes) of writes that never finished");
                        }
                    } catch (IOException e) {
                        LOG.warning("could not look for unfinished writes in " + storage.describe() + ": " + e.getMessage());
                    }
                }
            }
        });
    }

    /** A temporary file untouched this long belongs to no put in progress (a put writes continuously). */
    static final java.time.Duration ABANDONED_PUT_AGE = java.time.Duration.ofMinutes(15);

    /**
     * The cluster may start after the agent (it archives through it), so a failed check does not stop the agent:
     * it logs what a backup would refuse, and what to fix, once at start-up.
     */
    private static void checkClusterInBackground(BaseBackups backups) {
        Thread.ofPlatform().name("walden-cluster-check").daemon().start(() -> {
            try {
                var findings = backups.check();
                findings.warnings().forEach(w -> LOG.warning("cluster check: " + w));
                findings.refusals().forEach(r -> LOG.warning("cluster check: backups will be refused: " + r));
                if (findings.ok()) {
                    LOG.info("cluster check: ready for backups");
                }
            } catch (PostgresException e) {
                LOG.warning("cluster check: " + e.getMessage() + " (archiving works regardless; backups need the cluster)");
            } catch (RuntimeException e) {
                LOG.warning("cluster check failed: " + e);
            }
        });
    }

    private static void closeAll(List<AutoCloseable> components) {
        for (int i = components.size() - 1; i >= 0; i--) {
            try {
                components.get(i).close();
            } catch (Exception e) {
                LOG.warning("stopping " + components.get(i).getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        components.clear();
    }

    /** Counts pg_wal/archive_status/*.ready at each call (a scrape, a status); NaN without pg-data. */
    private static Supplier<Double> readyBacklog(AgentConfig config) {
        if (config.postgres().dataDirectory().isEmpty()) {
            return () -> Double.NaN;
        }
        Path status = config.postgres().dataDirectory().get().resolve("pg_wal/archive_status");
        return () -> {
            try (var files = Files.newDirectoryStream(status, "*.ready")) {
                double count = 0;
                for (Path ignored : files) {
                    count++;
                }
                return count;
            } catch (IOException e) {
                return Double.NaN;
            }
        };
    }

    private static int gapSize(dev.walden.agent.verify.VerifyReport.Problem problem) {
        if (problem.first().isEmpty() || problem.last().isEmpty()) {
            return 1;
        }
        try {
            long segmentSize = 16L << 20;
            return (int) (dev.walden.agent.wal.WalFileName.parse(problem.last().get()).segmentNumber(segmentSize)
                    - dev.walden.agent.wal.WalFileName.parse(problem.first().get()).segmentNumber(segmentSize) + 1);
        } catch (RuntimeException e) {
            return 1;
        }
    }

    /** The walden client beside this agent's jar (lib/ → bin/walden), for jobs whose restore_command needs it. */
    private static String clientPath() {
        try {
            Path jar = Path.of(Agent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path client = jar.getParent().resolveSibling("bin").resolve("walden");
            return Files.isExecutable(client) ? client.toString() : "walden";
        } catch (Exception e) {
            return "walden";
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** What a scheduled job prints goes to the agent's log. */
    private record LoggedOutput(String job) implements dev.walden.agent.command.CommandOutput {
        public void out(String text) {
            text.lines().filter(l -> !l.isBlank()).forEach(l -> LOG.info(job + ": " + l));
        }

        public void err(String text) {
            text.lines().filter(l -> !l.isBlank()).forEach(l -> LOG.info(job + ": " + l));
        }

        public void progress(String line) {}

        public boolean cancelled() {
            return false;
        }
    }

    /**
     * @param several whether other repositories are configured: then an S3 bucket that cannot be reached at start-up
     *                is only logged, as that repository is caught up when it answers; alone, it stops the start
     */
    private static Storage openStorage(AgentConfig.RepositorySettings settings, boolean several) throws IOException {
        return switch (settings.type()) {
            case "local" -> new LocalDirectoryStorage(settings.path());
            case "s3" -> {
                S3Storage s3 = S3Storage.open(settings.s3());
                try {
                    s3.checkAccess();
                } catch (IOException e) {
                    if (several) {
                        LOG.warning("repository " + settings.number() + " (" + s3.describe() + ") cannot be reached now: "
                                + e.getMessage() + "; what it misses is queued for it (walden status)");
                        yield s3;
                    }
                    s3.close();
                    throw e;
                }
                yield s3;
            }
            default -> throw new IllegalStateException("repo-type " + settings.type() + " passed validation but has no driver");
        };
    }

    /** What a standby built by walden restore --standby connects to: the cluster this agent backs up. */
    static String primaryConninfo(dev.walden.agent.postgres.PostgresSettings postgres) {
        return "host=" + postgres.host() + " port=" + postgres.port() + " user=" + postgres.user() + " application_name=walden-standby";
    }

    /** For walden status: how far each repository is behind, and whether it answers a probe now; none with one repository. */
    private static Supplier<List<dev.walden.agent.storage.mirror.Mirror.Lag>> repositoryStates(dev.walden.agent.storage.mirror.Mirror mirror) {
        if (mirror == null) {
            return List::of;
        }
        return () -> {
            List<dev.walden.agent.storage.mirror.Mirror.Lag> states = new ArrayList<>();
            List<dev.walden.agent.storage.mirror.Mirror.Lag> lag = mirror.lag();
            for (int i = 0; i < lag.size(); i++) {
                java.util.Optional<String> problem = java.util.Optional.empty();
                try {
                    new Repository(mirror.members().get(i).wal()).probe();
                } catch (IOException e) {
                    problem = java.util.Optional.of(String.valueOf(e.getMessage()));
                }
                states.add(lag.get(i).probed(problem));
            }
            return states;
        };
    }

    /**
     * Each repository is checked on its own: written with this agent's encryption, and all of them archiving one
     * cluster. A repository that cannot be reached now is left to its catch-up (with several) or refused (alone).
     */
    private static void checkRepositories(List<dev.walden.agent.storage.mirror.Mirror.Member> members, String encryption)
            throws IOException, RepositoryFormatException {
        Repository.Record first = null;
        String firstWhere = null;
        for (dev.walden.agent.storage.mirror.Mirror.Member member : members) {
            Repository repository = new Repository(member.wal());
            Repository.Record record;
            try {
                repository.checkEncryption(encryption);
                record = repository.record();
            } catch (IOException e) {
                if (members.size() == 1) {
                    throw e;
                }
                LOG.warning(member.describe() + " cannot be read now (" + e.getMessage() + "); it is caught up when it answers");
                continue;
            }
            if (record == null) {
                continue;
            }
            if (first != null && first.systemIdentifier() != record.systemIdentifier()) {
                throw new RepositoryFormatException(member.describe() + " archives database system "
                        + Long.toUnsignedString(record.systemIdentifier()) + " but " + firstWhere + " archives system "
                        + Long.toUnsignedString(first.systemIdentifier()) + ". HINT: every repository of one agent holds the"
                        + " same cluster; give repo" + member.number() + " a place of its own that is empty or holds this cluster");
            }
            if (first == null) {
                first = record;
                firstWhere = member.describe();
            }
        }
    }

    public Path socketPath() {
        return server.socketPath();
    }

    /** The repository's storage, for tools and tests that inspect what was archived. */
    public Storage storage() {
        return storage;
    }

    /** Stops accepting, lets requests in progress finish (a push half done would only be retried), then closes. */
    @Override
    public void close() throws IOException {
        systemd.send("STOPPING=1");
        systemd.close();
        closeAll(closeFirst);
        server.close();
        commands.shutdownNow();  // a backup cut short stays incomplete; its session ends and PostgreSQL aborts it
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warning("requests still running after 30 s; stopping anyway (PostgreSQL will retry them)");
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            // Cancelled commands stop at their next check; the repository is not closed under one still writing.
            if (!commands.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warning("commands still running 10 s after they were stopped; closing the repository anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pushAhead.close();
        prefetch.close();
        for (Storage driver : drivers) {
            driver.close();
        }
        LOG.info("walden-agent stopped");
    }
}
