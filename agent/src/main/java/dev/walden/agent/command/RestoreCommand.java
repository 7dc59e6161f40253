package dev.walden.agent.command;

import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.paths.OwnedPaths;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.restore.RecoveryConfig;
import dev.walden.agent.restore.RecoveryTarget;
import dev.walden.agent.restore.RestoreException;
import dev.walden.agent.restore.RestoreRequest;
import dev.walden.agent.restore.Restorer;
import dev.walden.protocol.Request;
import dev.walden.protocol.Result;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code walden restore --pgdata DIR [--backup ID] [--target-time TS | --target-lsn LSN | --target-xid XID |
 * --target-name NAME | --target immediate] [--target-action A] [--target-timeline T] [--tablespace-map OID=DIR ...]
 * [--delta] [--force] [--archive-mode off|preserve] [--force-target]}.
 */
public final class RestoreCommand {
    private static final Logger LOG = Logger.getLogger(RestoreCommand.class.getName());
    private static final Set<String> FLAGS = Set.of("delta", "force", "force-target", "prepare", "standby");
    private static final Set<String> VALUED = Set.of("config-to", "primary-conninfo", "pgdata", "backup", "target-time", "target-lsn", "target-xid", "target-name",
            "target", "target-action", "target-timeline", "tablespace-map", "archive-mode");

    private final BaseBackups backups;
    private final int threads;
    private final Path socketPath;
    private final OwnedPaths owned;
    private final ZoneId zone;
    private final Clock clock;

    /** @param owned what no restore may write into or delete: everything the agent keeps */
    private final dev.walden.agent.restore.ArchiveRetrieval.Settings retrieval;
    /** What a standby connects to unless --primary-conninfo says: the cluster the agent backs up (pg-host, pg-port, pg-user). */
    private final Optional<String> primaryConninfo;

    public RestoreCommand(BaseBackups backups, int threads, Path socketPath, OwnedPaths owned, ZoneId zone, Clock clock) {
        this(backups, threads, socketPath, owned, zone, clock, dev.walden.agent.restore.ArchiveRetrieval.Settings.DEFAULT, Optional.empty());
    }

    /** @param retrieval how backups in an archive storage class are asked for before they are restored */
    public RestoreCommand(BaseBackups backups, int threads, Path socketPath, OwnedPaths owned, ZoneId zone, Clock clock,
                          dev.walden.agent.restore.ArchiveRetrieval.Settings retrieval, Optional<String> primaryConninfo) {
        this.retrieval = retrieval;
        this.primaryConninfo = primaryConninfo;
        this.backups = backups;
        this.threads = threads;
        this.socketPath = socketPath;
        this.owned = owned;
        this.zone = zone;
        this.clock = clock;
    }

    /**
     * A full target disk is the target's failure, not the repository's (whose failures name themselves): says which
     * directory, and how much room it has.
     */
    private static String targetSide(Exception e, RestoreRequest request) {
        if (e instanceof dev.walden.agent.storage.StorageFailureException || !(e instanceof IOException)) {
            return Replies.describe(e);
        }
        Path target = request.dataDirectory();
        String reason = String.valueOf(e.getMessage());
        if (reason.toLowerCase(java.util.Locale.ROOT).contains("no space left")) {
            String free;
            try {
                free = TransferProgress.size(java.nio.file.Files.getFileStore(target).getUsableSpace()) + " free";
            } catch (IOException unknown) {
                free = "free space unknown";
            }
            return "the file system of " + target + " is full (" + free + ", No space left on device): the backup does not fit"
                    + " there. HINT: restore onto a larger disk (walden backup show ID tells its size)";
        }
        return Replies.describe(e);
    }

    public Result run(Request.Command command, Caller caller, List<String> words, CommandOutput output) {
        RestoreRequest request;
        ZoneId callerZone = ClientZone.of(command).orElse(zone);
        try {
            request = parse(command, words, callerZone);
        } catch (Arguments.UsageException | IllegalArgumentException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        }
        if (request.target() instanceof RecoveryTarget.Time time) {
            output.err("walden: recovering to " + java.time.format.DateTimeFormatter.ISO_INSTANT.format(time.instant()) + " (UTC), that is "
                    + time.value() + " in " + callerZone + "\n");
        }
        try {
            List<Path> written = new java.util.ArrayList<>(request.tablespaceMap().values());
            written.add(0, request.dataDirectory());
            request.configTo().ifPresent(written::add);
            for (Path path : written) {
                if (!caller.mayWrite(OwnedPaths.resolve(path))) {
                    return new Result(CommandExit.FAILED, "restore refused: " + caller.name() + " cannot write " + path
                            + " themselves, and the agent writes only where its caller could. HINT: restore into a directory you own,"
                            + " or run walden as the agent's user");
                }
            }
            Optional<BackupCatalog> catalog = backups.catalog();
            if (catalog.isEmpty()) {
                return new Result(CommandExit.FAILED, "restore refused: the repository is empty; there is no backup to restore."
                        + " HINT: take one with walden backup");
            }
            request = followLivePrimary(request, catalog.get(), output);
            Restorer restorer = new Restorer(catalog.get(), backups.timelines(), threads, socketPath, zone, clock, retrieval);
            if (words.contains("--prepare")) {
                return new Result(CommandExit.OK, "restore --prepare: " + restorer.prepare(request, output));
            }
            Restorer.Outcome outcome = restorer.restore(request, output);
            String target = outcome.recoveryTarget().setting().isEmpty() ? "the end of the archive"
                    : outcome.recoveryTarget().setting() + " = '" + outcome.recoveryTarget().value() + "'";
            return new Result(CommandExit.OK, "restored backup " + outcome.backup().id() + " into " + request.dataDirectory()
                    + (outcome.target().equals(request.dataDirectory()) ? "" : " (" + outcome.target() + ")") + ": "
                    + outcome.files() + " files, " + TransferProgress.size(outcome.bytes()) + " written"
                    + (outcome.reused() > 0 ? ", " + outcome.reused() + " files unchanged (--delta)" : "") + " in "
                    + TransferProgress.duration(outcome.seconds()) + ". "
                    + (request.standbyOf().isPresent() ? "It is set up as a standby of " + request.standbyOf().get() + " (standby.signal;"
                            + " primary_conninfo, restore_command and recovery_target_timeline = latest in postgresql.auto.conf): it"
                            + " replays archived WAL from Walden until it can stream from the primary. "
                            : "Recovery is set up to " + target + " (restore_command, recovery.signal, postgresql.auto.conf). ")
                    + (request.preserveArchiving() ? "Archiving is kept as the backed-up cluster had it (--archive-mode preserve):"
                            + " once promoted, this cluster archives into this repository, as the primary's replacement. "
                            : "Archiving is off in the restored cluster (archive_mode = off in postgresql.auto.conf), so a test"
                            + " restore never writes into this repository; to replace the primary, restore with --archive-mode"
                            + " preserve, or ALTER SYSTEM RESET archive_mode and restart. ")
                    + "Start the cluster as its owner: " + outcome.startCommand());
        } catch (RestoreException e) {
            return new Result(CommandExit.FAILED, "restore refused or failed: " + e.getMessage());
        } catch (IOException | RepositoryFormatException e) {
            return new Result(CommandExit.FAILED, "restore failed: " + targetSide(e, request) + "; the directory has no pg_control and"
                    + " cannot start. HINT: fix the cause and run the restore again with --force (or --delta)");
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "walden restore failed unexpectedly", e);
            return new Result(CommandExit.INTERNAL, Replies.internalError("walden restore", e) + "; the directory has no pg_control"
                    + " and cannot start");
        }
    }

    /**
     * Without --target-timeline, recovery follows the newest timeline in the archive. When that is a timeline the live
     * primary never had (a promoted test restore that archived here, or another cluster), the restore follows the
     * primary's own timeline instead, and says so loudly; --target-timeline N follows the other one on purpose.
     */
    private RestoreRequest followLivePrimary(RestoreRequest request, BackupCatalog catalog, CommandOutput output)
            throws IOException {
        if (request.targetTimeline().isPresent()) {
            return request;
        }
        Optional<BaseBackups.StrayTimeline> stray = backups.strayTimeline(catalog.systemIdentifier());
        if (stray.isEmpty()) {
            return request;
        }
        long live = stray.get().live();
        String message = "WARNING: the archive holds timeline " + stray.get().stray() + " (" + String.format("%08X.history", stray.get().stray())
                + "), which the live primary, on timeline " + live + ", never had: it was archived by another"
                + " cluster, such as a promoted test restore that kept archiving. This restore follows the primary's"
                + " timeline " + live + " (recovery_target_timeline = '" + live + "'). HINT: --target-timeline "
                + stray.get().stray() + " follows the other one; walden verify reports it";
        output.err("walden: " + message + "\n");
        LOG.warning(message);
        return new RestoreRequest(request.dataDirectory(), request.backupId(), request.target(), request.targetAction(),
                Optional.of(Long.toString(live)), request.tablespaceMap(), request.delta(), request.force(),
                request.clientPath(), request.owned(), request.tablespacesUnder(), request.preserveArchiving(), request.forceTarget(),
                request.standbyOf(), request.configTo(), request.onlyDatabases());
    }

    private RestoreRequest parse(Request.Command command, List<String> words, ZoneId zone) throws Arguments.UsageException {
        Arguments arguments = Arguments.parse(words, FLAGS, VALUED);
        if (!arguments.positional().isEmpty()) {
            throw new Arguments.UsageException("restore takes no operands, got '" + arguments.positional().get(0) + "'");
        }
        Path workingDirectory = Path.of(command.workingDirectory().isEmpty() ? "/" : command.workingDirectory());
        Path dataDirectory = path(workingDirectory, arguments.value("pgdata")
                .orElseThrow(() -> new Arguments.UsageException("restore needs --pgdata DIR, the directory to restore into")));
        int targets = 0;
        RecoveryTarget target = new RecoveryTarget.Latest();
        for (String name : List.of("target-time", "target-lsn", "target-xid", "target-name", "target")) {
            Optional<String> value = arguments.value(name);
            if (value.isEmpty()) {
                continue;
            }
            targets++;
            target = switch (name) {
                case "target-time" -> value.get().equals("latest-available") ? new RecoveryTarget.Latest()
                        : RecoveryTarget.parseTime(value.get(), zone, LocalDate.now(clock.withZone(zone)));
                case "target-lsn" -> new RecoveryTarget.Location(Lsn.parse(value.get()));
                case "target-xid" -> {
                    try {
                        yield new RecoveryTarget.Xid(Long.parseUnsignedLong(value.get()));
                    } catch (NumberFormatException e) {
                        throw new Arguments.UsageException("--target-xid must be a transaction id (a number), got '" + value.get() + "'");
                    }
                }
                case "target-name" -> new RecoveryTarget.Name(value.get());
                default -> {
                    if (!value.get().equals("immediate")) {
                        throw new Arguments.UsageException("--target takes only 'immediate', got '" + value.get() + "'");
                    }
                    yield new RecoveryTarget.Immediate();
                }
            };
        }
        if (targets > 1) {
            throw new Arguments.UsageException("give at most one of --target-time, --target-lsn, --target-xid, --target-name, --target");
        }
        Optional<String> action = arguments.value("target-action");
        if (action.isPresent() && !Set.of("pause", "promote", "shutdown").contains(action.get())) {
            throw new Arguments.UsageException("--target-action must be pause, promote or shutdown, got '" + action.get() + "'");
        }
        if (action.isPresent() && targets == 0) {
            throw new Arguments.UsageException("--target-action needs a target (--target-time, --target-lsn, ...)");
        }
        Optional<String> timeline = arguments.value("target-timeline");
        if (timeline.isPresent() && !timeline.get().matches("latest|current|[1-9][0-9]{0,9}")) {
            throw new Arguments.UsageException("--target-timeline must be latest, current or a timeline number, got '" + timeline.get() + "'");
        }
        Map<Long, Path> tablespaces = new HashMap<>();
        for (String mapping : arguments.values("tablespace-map")) {
            int equals = mapping.indexOf('=');
            try {
                if (equals <= 0) {
                    throw new NumberFormatException();
                }
                tablespaces.put(Long.parseLong(mapping.substring(0, equals)), path(workingDirectory, mapping.substring(equals + 1)));
            } catch (NumberFormatException e) {
                throw new Arguments.UsageException("--tablespace-map takes OID=DIR (the OID is the tablespace's link name in"
                        + " pg_tblspc, as walden backup show lists it), got '" + mapping + "'");
            }
        }
        if (arguments.flag("delta") && arguments.flag("force")) {
            throw new Arguments.UsageException("--delta and --force exclude each other: --delta keeps matching files, --force deletes everything first");
        }
        String clientPath = command.clientPath().isEmpty() ? "walden" : command.clientPath();
        if (clientPath.contains("/") && !clientPath.startsWith("/")) {
            // restore_command runs in the restored cluster's directory: a path relative to the caller's would not be found.
            clientPath = workingDirectory.resolve(clientPath).normalize().toString();
        }
        // Everything that ends up in postgresql.auto.conf, tablespace_map or the start command: no line breaks.
        RecoveryConfig.checkValue("the walden client's path", clientPath);
        RecoveryConfig.checkValue("--pgdata", dataDirectory.toString());
        RecoveryConfig.checkValue("the target", target.value());
        for (Path location : tablespaces.values()) {
            RecoveryConfig.checkValue("--tablespace-map", location.toString());
        }
        RecoveryConfig.checkValue("the socket path", socketPath.toString());
        String archiveMode = arguments.value("archive-mode").orElse("off");
        if (!archiveMode.equals("off") && !archiveMode.equals("preserve")) {
            throw new Arguments.UsageException("--archive-mode must be off (the default: a test restore never archives into"
                    + " this repository) or preserve (the restored cluster replaces the primary), got '" + archiveMode + "'");
        }
        Optional<String> standbyOf = Optional.empty();
        if (arguments.flag("standby")) {
            if (!(target instanceof RecoveryTarget.Latest) || action.isPresent() || timeline.isPresent()) {
                throw new Arguments.UsageException("--standby follows the primary to the end of the archive and then streams:"
                        + " it takes no --target*, --target-action or --target-timeline (recovery_target_timeline is latest)");
            }
            String conninfo = arguments.value("primary-conninfo").or(() -> primaryConninfo).orElseThrow(() -> new Arguments.UsageException(
                    "--standby needs --primary-conninfo 'host=... port=... user=...' (the agent has no pg-host to take it from)"));
            RecoveryConfig.checkValue("--primary-conninfo", conninfo);
            standbyOf = Optional.of(conninfo);
        } else if (arguments.value("primary-conninfo").isPresent()) {
            throw new Arguments.UsageException("--primary-conninfo goes with --standby");
        }
        Optional<Path> configTo = Optional.empty();
        if (arguments.value("config-to").isPresent()) {
            configTo = Optional.of(path(workingDirectory, arguments.value("config-to").get()));
        }
        return new RestoreRequest(dataDirectory, arguments.value("backup"), target, action, timeline, tablespaces,
                arguments.flag("delta"), arguments.flag("force"), clientPath, owned, Optional.empty(), archiveMode.equals("preserve"),
                arguments.flag("force-target"), standbyOf, configTo, Optional.empty());
    }

    private static Path path(Path workingDirectory, String text) throws Arguments.UsageException {
        try {
            // Not normalised here: ".." after a symlink means the link's real parent, which OwnedPaths.resolve applies.
            Path path = workingDirectory.resolve(text);
            if (path.normalize().getParent() == null) {
                throw new Arguments.UsageException("refusing to restore into " + path);
            }
            return path;
        } catch (InvalidPathException e) {
            throw new Arguments.UsageException("invalid path '" + text + "': " + e.getMessage());
        }
    }
}
