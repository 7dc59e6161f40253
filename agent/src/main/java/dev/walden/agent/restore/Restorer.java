package dev.walden.agent.restore;

import dev.walden.agent.backup.ArchivedTimelines;
import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.FileChecksum;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.backup.Manifest;
import dev.walden.agent.backup.ManifestCheck;
import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.backup.ManifestReader;
import dev.walden.agent.backup.ParallelFiles;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.command.CommandOutput;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.paths.OwnedPaths;
import dev.walden.agent.paths.TreeDeletion;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.storage.DurableFiles;
import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.wal.TimelineHistory;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Restores a backup (its whole chain) into a data directory set up for recovery: files in parallel, each checked
 * against its manifest checksum; tablespace links; backup_label and tablespace_map as PostgreSQL returned them;
 * restore_command and the target in postgresql.auto.conf; recovery.signal; and global/pg_control last, so that a
 * directory whose restore was interrupted can never start as if it were whole.
 */
public final class Restorer {
    private static final Logger LOG = Logger.getLogger(Restorer.class.getName());
    static final String PG_CONTROL = "global/pg_control";
    /** A bound on what one data object may expand to (a decompression bomb is refused); real ones are at most one file or bundle. */
    static final long MAX_OBJECT_BYTES = 64L << 30;
    /** pg_control is restored under this name and renamed into place at the very end. */
    static final String PG_CONTROL_PENDING = "global/pg_control.walden-restore";

    private final BackupCatalog catalog;
    private final ArchivedTimelines timelines;
    private final int threads;
    private final Path socketPath;
    private final ZoneId zone;
    private final Clock clock;
    private final ArchiveRetrieval.Settings retrieval;

    public Restorer(BackupCatalog catalog, ArchivedTimelines timelines, int threads, Path socketPath, ZoneId zone, Clock clock) {
        this(catalog, timelines, threads, socketPath, zone, clock, ArchiveRetrieval.Settings.DEFAULT);
    }

    /** @param retrieval how backups kept in an archive class (GLACIER, DEEP_ARCHIVE) are asked for before they are read */
    public Restorer(BackupCatalog catalog, ArchivedTimelines timelines, int threads, Path socketPath, ZoneId zone, Clock clock,
                    ArchiveRetrieval.Settings retrieval) {
        this.retrieval = retrieval;
        this.catalog = catalog;
        this.timelines = timelines;
        this.threads = threads;
        this.socketPath = socketPath;
        this.zone = zone;
        this.clock = clock;
    }

    /**
     * What the restore did, for the closing message.
     *
     * @param target         the data directory as written: the requested one with its links resolved
     * @param recoveryTarget the target written, which the archive's reach may have set (an older backup's gap)
     */
    public record Outcome(BackupSummary backup, String reason, long files, long bytes, long reused, double seconds,
                          String startCommand, Path target, RecoveryTarget recoveryTarget, long otherDatabaseFiles) {
        public Outcome(BackupSummary backup, String reason, long files, long bytes, long reused, double seconds,
                       String startCommand, Path target, RecoveryTarget recoveryTarget) {
            this(backup, reason, files, bytes, reused, seconds, startCommand, target, recoveryTarget, 0);
        }
    }

    public Outcome restore(RestoreRequest request, CommandOutput output) throws RestoreException, IOException {
        // Judged and used as the kernel resolves it: a link to the repository is the repository.
        Path target = judge(request.dataDirectory(), request, "the data directory");
        checkTarget(target, request);
        BackupCatalog.Listing listing = listing();
        BackupChooser.Choice choice = choose(listing, request);
        BackupSummary backup = choice.backup();
        try {
            dev.walden.agent.postgres.PostgresMajor.require(backup.pgVersion(), "restore");
        } catch (dev.walden.agent.postgres.PostgresMajor.UnknownMajorException e) {
            throw new RestoreException("backup " + backup.id() + ": " + e.getMessage());
        }
        Path pgVersion = target.resolve("PG_VERSION");
        if ((request.delta() || request.force()) && Files.isRegularFile(pgVersion, LinkOption.NOFOLLOW_LINKS)) {
            String there = Files.readString(pgVersion, StandardCharsets.UTF_8).strip();
            if (!there.equals(Integer.toString(backup.pgVersion() / 10000))) {
                throw new RestoreException(target + " holds a PostgreSQL " + there + " cluster, but backup " + backup.id()
                        + " is of PostgreSQL " + backup.pgVersion() / 10000 + "; nothing was changed. HINT: restore into an empty"
                        + " directory, or one made for PostgreSQL " + backup.pgVersion() / 10000 + " (pg_createcluster "
                        + backup.pgVersion() / 10000 + " NAME)");
            }
        }
        output.err("walden: restoring backup " + backup.id() + ": " + choice.reason() + "\n");
        ArchiveRetrieval.Report archived = ArchiveRetrieval.check(catalog, chain(backup, listing), retrieval, true);
        if (!archived.ready()) {
            throw new RestoreException("backup " + backup.id() + " is in an archive storage class: " + archived.message()
                    + "; nothing was written. HINT: walden restore --prepare only asks, without a target directory to hold");
        }
        RecoveryTarget recoveryTarget = reachable(backup, request, output);
        try (BackupCatalog.LocalManifest local = catalog.fetchManifest(backup.id())) {
            return restore(request, output, target, choice, backup, recoveryTarget, local, listing);
        } catch (BackupCatalog.CatalogException | ManifestJson.FormatException e) {
            throw new RestoreException(e.getMessage() + "; nothing was restored. HINT: walden verify names what is damaged;"
                    + " restore another backup with --backup");
        }
    }

    /**
     * {@code walden restore --prepare}: asks S3 to retrieve every archived object the chosen backup needs, and says how
     * long that takes; writes nothing.
     */
    public String prepare(RestoreRequest request, CommandOutput output) throws RestoreException, IOException {
        BackupCatalog.Listing listing = listing();
        BackupChooser.Choice choice = choose(listing, request);
        ArchiveRetrieval.Report report = ArchiveRetrieval.check(catalog, chain(choice.backup(), listing), retrieval, true);
        return "backup " + choice.backup().id() + " (" + choice.reason() + "): " + (report.ready()
                ? "every object it needs can be read now" + (report.message().isEmpty() ? "" : " (" + report.message() + ")")
                + "; walden restore without --prepare restores it"
                : report.message().replace("Run the same command again to continue", "Then run walden restore without --prepare"));
    }

    /**
     * Writes the configuration files the backup kept from outside its data directory: into the restored directory, so
     * that it starts on its own, or as they were into --config-to DIR, where an existing file is never overwritten
     * without --force.
     */
    private void placeConfigFiles(List<Manifest.ConfigFile> files, Path target, RestoreRequest request, Ownership ownership,
                                  String backupId, CommandOutput output) throws IOException, RestoreException {
        if (files.isEmpty()) {
            return;
        }
        Path directory = request.configTo().orElse(target);
        List<ConfigPlacement.Placed> placed = ConfigPlacement.place(files, request.configTo().isEmpty(), backupId);
        for (ConfigPlacement.Placed file : placed) {
            Path path = directory.resolve(file.name()).normalize();
            if (!path.startsWith(directory)) {
                throw new RestoreException("the backup names a configuration file outside " + directory + ": " + file.name());
            }
            Files.createDirectories(path.getParent());
            writeFile(path, file.text(), ownership);
        }
        output.err("walden: wrote " + placed.size() + " configuration file" + (placed.size() == 1 ? "" : "s") + " the cluster read"
                + " from outside its data directory (" + String.join(", ", files.stream().map(Manifest.ConfigFile::path).toList())
                + ") into " + directory + (request.configTo().isEmpty() ? ", pointed at this directory" : "") + "\n");
    }

    /** Before anything is written: --config-to never replaces an existing file without --force. */
    private static void checkConfigTarget(List<Manifest.ConfigFile> files, RestoreRequest request, String backupId) throws RestoreException {
        if (request.configTo().isEmpty() || files.isEmpty()) {
            return;
        }
        Path directory = request.configTo().get();
        try {
            Files.createDirectories(directory);
            Files.delete(Files.createTempFile(directory, ".walden-probe-", ".tmp"));
        } catch (IOException e) {
            throw new RestoreException("--config-to " + directory + " cannot be written by the agent (" + e.getMessage() + "); nothing"
                    + " was written. HINT: under the packaged unit /etc is read-only to the agent (ProtectSystem=strict): add"
                    + " ReadWritePaths=" + directory + " with systemctl edit walden-agent, or give --config-to a directory the agent"
                    + " may write and copy the files from there");
        }
        if (request.force()) {
            return;
        }
        for (ConfigPlacement.Placed file : ConfigPlacement.place(files, false, backupId)) {
            Path path = request.configTo().get().resolve(file.name());
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new RestoreException(path + " exists; --config-to never overwrites a configuration file, and nothing was"
                        + " written. HINT: choose an empty directory, or add --force to replace it");
            }
        }
    }

    /**
     * Whether a file belongs to a database other than {@code keep}: {@code base/OID/...}, or
     * {@code pg_tblspc/TS/PG_MAJOR_CATVERSION/OID/...} in a tablespace.
     */
    static boolean otherDatabase(String path, java.util.Set<Long> keep) {
        String[] parts = path.split("/");
        String oid = parts.length >= 3 && parts[0].equals("base") ? parts[1]
                : parts.length >= 5 && parts[0].equals("pg_tblspc") ? parts[3] : null;
        if (oid == null || !oid.chars().allMatch(Character::isDigit)) {
            return false;
        }
        return !keep.contains(Long.parseLong(oid));
    }

    private BackupCatalog.Listing listing() throws RestoreException, IOException {
        try {
            return catalog.list();
        } catch (BackupCatalog.CatalogException e) {
            throw new RestoreException(e.getMessage());
        }
    }

    /** The backup and every backup it needs, as the listing has them. */
    private static List<BackupSummary> chain(BackupSummary backup, BackupCatalog.Listing listing) {
        List<BackupSummary> chain = new ArrayList<>();
        chain.add(backup);
        for (String needed : backup.references()) {
            if (!needed.equals(backup.id())) {  // a backup's references name itself too
                listing.find(needed).ifPresent(chain::add);
            }
        }
        return chain;
    }

    /** The restore proper, from a manifest fetched once and read twice: checked whole, then restored window by window. */
    private Outcome restore(RestoreRequest request, CommandOutput output, Path target, BackupChooser.Choice choice, BackupSummary backup,
                            RecoveryTarget recoveryTarget, BackupCatalog.LocalManifest local, BackupCatalog.Listing listing)
            throws RestoreException, IOException, BackupCatalog.CatalogException, ManifestJson.FormatException {
        Manifest.Header manifest;
        List<String> unsound;
        long neededBytes = 0;
        try (ManifestReader reader = local.open()) {
            manifest = reader.header();
            ManifestCheck check = new ManifestCheck(manifest);
            for (Manifest.FileEntry entry = reader.next(); entry != null; entry = reader.next()) {
                check.file(entry);
                if (request.onlyDatabases().isEmpty() || !otherDatabase(entry.path(), request.onlyDatabases().get())) {
                    neededBytes += entry.size();
                }
            }
            unsound = check.problems();
        }
        if (!unsound.isEmpty()) {
            throw new RestoreException("the manifest of backup " + backup.id() + " is not one Walden wrote: " + String.join("; ", unsound)
                    + "; nothing was restored. HINT: walden verify; restore another backup with --backup");
        }
        checkConfigTarget(manifest.configFiles(), request, backup.id());
        for (String needed : backup.references()) {
            if (listing.find(needed).isEmpty()) {
                throw new RestoreException("backup " + backup.id() + " needs backup " + needed + ", which is not complete in the"
                        + " repository. HINT: restore another backup with --backup (walden backup list)");
            }
        }
        Map<Long, Path> tablespaceTargets = new LinkedHashMap<>();
        for (Manifest.Tablespace tablespace : manifest.tablespaces()) {
            Path location = request.tablespaceMap().getOrDefault(tablespace.oid(), request.tablespacesUnder()
                    .map(under -> under.resolve(Long.toString(tablespace.oid()))).orElse(Path.of(tablespace.location())));
            tablespaceTargets.put(tablespace.oid(), checkTablespaceTarget(tablespace, location, target, request));
        }
        for (Long oid : request.tablespaceMap().keySet()) {
            if (!tablespaceTargets.containsKey(oid)) {
                throw new RestoreException("--tablespace-map names OID " + oid + ", but backup " + backup.id() + " has no such tablespace"
                        + (manifest.tablespaces().isEmpty() ? " (it has none)" : " (it has " + manifest.tablespaces().stream()
                        .map(t -> t.oid() + " " + t.name()).toList() + ")"));
            }
        }

        if (request.onlyDatabases().isPresent()) {
            // A partial restore goes into scratch space that may be small: refused before anything is written.
            Path existing = target;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            long free = existing == null ? Long.MAX_VALUE : Files.getFileStore(existing).getUsableSpace();
            if (free < neededBytes + neededBytes / 10) {
                throw new RestoreException("the restore needs " + TransferProgress.size(neededBytes) + " in " + target + " (the global catalog,"
                        + " the templates and the database asked for), but its file system has " + TransferProgress.size(free)
                        + " free; nothing was written. HINT: point drill-path at a larger disk");
            }
        }
        boolean created = !Files.exists(target);
        DurableFiles.createDirectories(target);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
        Ownership ownership = Ownership.of(created ? target.getParent() : target);
        ownership.apply(target);
        if (request.force()) {
            TreeDeletion.clear(target);
            for (Path location : tablespaceTargets.values()) {
                if (Files.isDirectory(location, LinkOption.NOFOLLOW_LINKS)) {
                    TreeDeletion.clear(location);
                }
            }
        }
        for (Path location : tablespaceTargets.values()) {
            DurableFiles.createDirectories(location);
            Files.setPosixFilePermissions(location, PosixFilePermissions.fromString("rwx------"));
            ownership.apply(location);
        }
        for (Manifest.Directory directory : manifest.directories()) {
            Path path = locate(target, directory.path(), tablespaceTargets);
            if (isTablespaceRoot(directory.path())) {
                continue;
            }
            if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                Files.deleteIfExists(path);
                Files.createDirectories(path);
            }
            Files.setAttribute(path, "unix:mode", directory.mode() & dev.walden.agent.backup.ManifestCheck.DIRECTORY_MODE_MASK);
            ownership.apply(path);
        }
        // No pg_control while restoring: a half-restored directory must not look like a cluster. Only now, with every
        // directory of the manifest a real directory (a link in its place was replaced), so nothing outside is deleted.
        Files.deleteIfExists(target.resolve(PG_CONTROL));
        Files.deleteIfExists(target.resolve("postmaster.pid"));
        for (var tablespace : tablespaceTargets.entrySet()) {
            Path link = target.resolve("pg_tblspc").resolve(Long.toString(tablespace.getKey()));
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, tablespace.getValue());
            ownership.apply(link);
        }

        if (request.delta()) {
            // First, as a fresh restore would not have them (and their space is free for what comes).
            try (ManifestReader reader = local.open()) {
                DeltaCleanup.removeUnlisted(target, tablespaceTargets, reader, target.resolve(PG_CONTROL_PENDING));
            }
        }
        // The files, a window at a time in path order, grouped by the object that holds them: a bundle's files are
        // neighbours, so each object is read about once, and what is held is one window, whatever the cluster's size.
        TransferProgress progress = new TransferProgress(manifest.summary().bytes(), manifest.fileCount());
        long files = 0;
        long bytes = 0;
        long reused = 0;
        long skipped = 0;
        try (ManifestReader reader = local.open()) {
            Window window = new Window();
            for (Manifest.FileEntry entry = reader.next(); ; entry = reader.next()) {
                if (entry == null || window.full()) {
                    restoreWindow(window, backup, ownership, progress, output);
                    window = new Window();
                    if (entry == null) {
                        break;
                    }
                }
                files++;
                Path path = locate(target, entry.path(), tablespaceTargets);
                if (request.delta() && unchanged(path, entry)) {
                    reused++;
                    RestoredFiles.setAttributes(path, entry, ownership);
                    progress.addBytes(entry.size());
                    progress.fileDone();
                    continue;
                }
                Path destination = entry.path().equals(PG_CONTROL) ? target.resolve(PG_CONTROL_PENDING) : path;
                window.entries++;
                if (entry.blocks().isPresent()) {
                    window.assembled.add(planBlocks(entry, destination, window.byObject));
                    window.bytes += entry.size();
                    bytes += entry.size();
                    continue;
                }
                if (request.onlyDatabases().isPresent() && otherDatabase(entry.path(), request.onlyDatabases().get())) {
                    // Another database's file: as long as the backup's, all zeros and sparse, never read from the
                    // repository. Replay rewrites each page it touches from its first full-page image after the backup's
                    // checkpoint (full_page_writes), and that database is never opened (docs/runbook.md, restore-table).
                    Files.deleteIfExists(path);
                    try (java.io.RandomAccessFile sparse = new java.io.RandomAccessFile(path.toFile(), "rw")) {
                        sparse.setLength(entry.size());
                    }
                    RestoredFiles.setAttributes(path, entry, ownership);
                    skipped++;
                    progress.fileDone();
                    continue;
                }
                RestoredFiles.Target file = RestoredFiles.Target.wholeFile(entry, destination);
                if (entry.object() < 0) {
                    window.emptyFiles.add(file);
                } else {
                    window.byObject.computeIfAbsent(new ObjectRef(entry.backup(), entry.object()), k -> new ArrayList<>()).add(file);
                    window.bytes += entry.size();
                    bytes += entry.size();
                }
            }
        }
        writeFile(target.resolve("backup_label"), manifest.backupLabel(), ownership);
        String tablespaceMap = remapTablespaces(manifest.tablespaceMap(), tablespaceTargets);
        Files.deleteIfExists(target.resolve("tablespace_map"));
        if (!tablespaceMap.isEmpty()) {
            writeFile(target.resolve("tablespace_map"), tablespaceMap, ownership);
        }
        Path autoConf = target.resolve("postgresql.auto.conf");
        String existing = Files.exists(autoConf) ? Files.readString(autoConf, StandardCharsets.UTF_8) : "";
        String when = java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(clock.instant().atZone(zone));
        boolean standby = request.standbyOf().isPresent();
        writeFile(autoConf, RecoveryConfig.rewrite(existing, new RecoveryConfig.Settings(restoreCommand(request.clientPath()),
                recoveryTarget, standby ? null : request.targetAction().orElse(recoveryTarget != request.target() ? "promote" : null),
                standby ? "latest" : request.targetTimeline().orElse(null), backup.id(), when,
                !request.preserveArchiving(), request.standbyOf().orElse(null))),
                ownership);
        placeConfigFiles(manifest.configFiles(), target, request, ownership, backup.id(), output);
        // A standby follows its primary for good (standby.signal); any other restore recovers once (recovery.signal).
        Files.deleteIfExists(target.resolve(standby ? "recovery.signal" : "standby.signal"));
        writeFile(target.resolve(standby ? "standby.signal" : "recovery.signal"), "", ownership);
        if (!manifest.pgControlLast().isEmpty()) {
            // A backup of a standby: pg_control as read after every other file, whose minimum recovery point is where
            // recovery may first call the copy consistent (docs/format.md, pg_control_last).
            writeFile(target.resolve(PG_CONTROL_PENDING), java.util.Base64.getDecoder().decode(manifest.pgControlLast()), ownership);
        }
        syncDirectories(target, tablespaceTargets.values());
        Path pendingControl = target.resolve(PG_CONTROL_PENDING);
        if (Files.exists(pendingControl)) {
            Files.move(pendingControl, target.resolve(PG_CONTROL), StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.fsyncDirectory(target.resolve("global"));
        } else if (!Files.exists(target.resolve(PG_CONTROL))) {
            throw new RestoreException("backup " + backup.id() + " has no global/pg_control; the directory cannot start");
        }
        String start = startCommand(target, backup.pgVersion() / 10000);
        // The same count as the client's closing line: every file of the manifest (copied, empty or kept by --delta).
        LOG.info("restored backup " + backup.id() + " into " + target + ": " + files + " files, "
                + TransferProgress.size(bytes) + " written" + (reused > 0 ? ", " + reused + " unchanged (--delta)" : "")
                + (skipped > 0 ? ", " + skipped + " files of other databases left empty (sparse)" : "")
                + String.format(", %.1f s", progress.seconds()));
        return new Outcome(backup, choice.reason(), files, bytes, reused, progress.seconds(), start, target,
                recoveryTarget, skipped);
    }

    /**
     * Checks the target against what the archive holds on the backup's timeline, when recovery stays on it: a time or
     * LSN beyond the archive's end is refused (PostgreSQL would stop with "recovery ended before configured recovery
     * target was reached"), unless --force-target; with no target, a backup whose WAL breaks off in a gap (kept by
     * retention for its own range only) is restored to what it can reach, and says so.
     *
     * @return the target to write
     */
    private RecoveryTarget reachable(BackupSummary backup, RestoreRequest request, CommandOutput output)
            throws RestoreException, IOException {
        RecoveryTarget target = request.target();
        if (request.forceTarget() || target instanceof RecoveryTarget.Immediate || target instanceof RecoveryTarget.Xid
                || target instanceof RecoveryTarget.Name) {
            return target;
        }
        String timeline = request.targetTimeline().orElse("latest");
        try {
            boolean staysOnBackupTimeline = timeline.equals(Long.toString(backup.timeline()))
                    || (!timeline.matches("[0-9]+") && timelines.latestFrom(backup.timeline()) == backup.timeline());
            if (!staysOnBackupTimeline) {
                return target;
            }
        } catch (ArchivedTimelines.CatalogReadException e) {
            return target;
        }
        ArchiveReach reach = ArchiveReach.of(catalog.wal(), backup);
        String reaches = "the archive holds timeline " + backup.timeline() + "'s WAL without a break up to " + reach.lastSegment()
                + " (LSN " + reach.endLsn() + reach.lastStored().map(t -> ", stored at " + java.time.format.DateTimeFormatter
                        .ISO_OFFSET_DATE_TIME.format(t.atZone(zone).withNano(0))).orElse("") + ")"
                + (reach.beyondGap() ? "; later WAL lies beyond a gap (expired by retention, dropped by pg-wal-guard, or missing) that recovery cannot cross" : "");
        String hint = " HINT: --target-time latest-available restores to the end of what is archived; if more WAL is on its"
                + " way (SELECT pg_switch_wal() on the primary archives the current segment), wait, or use --force-target";
        // A second of slack: S3 records when an object was stored to the second only.
        if (target instanceof RecoveryTarget.Time time && reach.lastStored().isPresent()
                && time.instant().isAfter(reach.lastStored().get().plusSeconds(1))) {
            throw new RestoreException("the target " + time.value() + " lies after everything recovery from backup " + backup.id()
                    + " can replay: " + reaches + "." + hint);
        }
        if (target instanceof RecoveryTarget.Location location && location.lsn().compareTo(reach.endLsn()) > 0) {
            throw new RestoreException("the target LSN " + location.lsn() + " lies after everything recovery from backup "
                    + backup.id() + " can replay: " + reaches + "." + hint);
        }
        if (target instanceof RecoveryTarget.Latest && reach.beyondGap()) {
            if (request.backupId().isEmpty()) {
                // The newest backup with a hole after it: WAL is missing, which verify reports; recovery stops there.
                output.err("walden: WARNING: " + reaches + "; recovery will end there and later transactions are not restored."
                        + " HINT: walden verify names the missing WAL\n");
                return target;
            }
            // An older backup chosen with --backup, kept by retention with its own WAL range: say what it reaches, and
            // set the target there (never before its consistent point), so recovery ends where the DBA was told.
            Lsn end = reach.lastSegmentStart(backup.walSegmentSize());
            Lsn stop = end.compareTo(backup.stopLsn()) < 0 ? backup.stopLsn() : end;
            output.err("walden: " + reaches + ", so recovery is set to stop at LSN " + stop + " (recovery_target_lsn) and"
                    + " promote, the furthest point it surely reaches from backup " + backup.id() + "; later transactions are not restored."
                    + " HINT: a newer backup reaches further (walden backup list)\n");
            return new RecoveryTarget.Location(stop);
        }
        return target;
    }

    /**
     * How to start the restored cluster: Debian's pg_ctlcluster when the directory is a packaged cluster's (its
     * configuration is in /etc/postgresql), else pg_ctl, with a warning when the directory has no postgresql.conf.
     */
    static String startCommand(Path target, int major) {
        Path debianConfig = Path.of("/etc/postgresql", Integer.toString(major), target.getFileName().toString(), "postgresql.conf");
        if (target.getParent() != null && target.getParent().equals(Path.of("/var/lib/postgresql", Integer.toString(major)))
                && Files.exists(debianConfig)) {
            return "pg_ctlcluster " + major + " " + target.getFileName() + " start";
        }
        // The log outside the data directory: a later restore --delta or --force would delete it with the rest.
        Path log = target.getParent() == null ? Path.of("/tmp", "recovery.log") : target.resolveSibling(target.getFileName() + "-recovery.log");
        String command = "/usr/lib/postgresql/" + major + "/bin/pg_ctl -D " + target + " -l " + log + " start";
        if (!Files.exists(target.resolve("postgresql.conf"))) {
            return command + " (first give it a postgresql.conf: the backed-up cluster kept its configuration outside the data"
                    + " directory; on Debian, restore into a cluster made with pg_createcluster, docs/runbook.md)";
        }
        return command;
    }

    private BackupChooser.Choice choose(BackupCatalog.Listing listing, RestoreRequest request) throws RestoreException, IOException {
        try {
            if (request.backupId().isPresent()) {
                String id = request.backupId().get();
                BackupSummary backup = listing.find(id).orElseThrow(() -> new RestoreException("backup " + id + " is not a complete"
                        + " backup in this repository" + (listing.incomplete().contains(id) ? " (it never completed, so it cannot be restored)"
                        : listing.findUnusable(id).map(u -> " (" + u.reason() + ")").orElse(""))
                        + ". HINT: walden backup list shows the complete ones"));
                if (!BackupChooser.reaches(backup, request.target())) {
                    throw new RestoreException("backup " + id + " ended after the target " + BackupChooser.describe(request.target())
                            + ", so recovery from it cannot stop there. HINT: choose an older backup, or leave out --backup");
                }
                return new BackupChooser.Choice(backup, "chosen with --backup");
            }
            if (listing.complete().isEmpty()) {
                throw new RestoreException("the repository has no complete backup to restore. HINT: take one with walden backup");
            }
            long newestTimeline = listing.complete().stream().mapToLong(BackupSummary::timeline).max().orElse(1);
            String timeline = request.targetTimeline().orElse("latest");
            TimelineHistory history = switch (timeline) {
                case "latest" -> timelines.history(timelines.latestFrom(newestTimeline));
                case "current" -> timelines.history(listing.newest().orElseThrow().timeline());
                default -> timelines.history(Long.parseLong(timeline));
            };
            return BackupChooser.choose(listing.complete(), request.target(), history, zone);
        } catch (ArchivedTimelines.CatalogReadException e) {
            throw new RestoreException(e.getMessage());
        }
    }

    private void checkTarget(Path target, RestoreRequest request) throws RestoreException, IOException {
        for (Path location : request.tablespaceMap().values()) {
            judge(location, request, "a tablespace location");
        }
        if (Files.exists(target.resolve("postmaster.pid"))) {
            throw new RestoreException(target + " holds postmaster.pid: a cluster is running there, or was not shut down cleanly."
                    + " HINT: stop it first (pg_ctl -D " + target + " stop); restore never overwrites a running cluster");
        }
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new RestoreException(target + " exists and is not a directory");
        }
        if (!request.delta() && !request.force() && !isEmpty(target)) {
            throw new RestoreException(target + " is not empty. HINT: restore into an empty or new directory; --delta re-uses the"
                    + " files that match the backup and replaces the rest; --force deletes everything in it first");
        }
    }

    /** A restore never writes into, or deletes, anything the agent keeps; returns the path resolved as the kernel would. */
    private static Path judge(Path requested, RestoreRequest request, String what) throws RestoreException, IOException {
        try {
            return request.owned().judge(requested, what);
        } catch (OwnedPaths.RefusedPathException e) {
            throw new RestoreException(e.getMessage());
        }
    }

    private Path checkTablespaceTarget(Manifest.Tablespace tablespace, Path requested, Path target, RestoreRequest request)
            throws RestoreException, IOException {
        if (!requested.isAbsolute()) {
            throw new RestoreException("tablespace " + tablespace.name() + " would be restored to " + requested + ", which is not absolute");
        }
        Path location = judge(requested, request, "tablespace " + tablespace.name() + "'s location");
        if (location.startsWith(target) || target.startsWith(location)) {
            throw new RestoreException("tablespace " + tablespace.name() + " would be restored to " + location
                    + ", which overlaps the data directory. HINT: --tablespace-map " + tablespace.oid() + "=DIR outside " + target);
        }
        if (!request.delta() && !request.force() && !isEmpty(location)) {
            throw new RestoreException("tablespace " + tablespace.name() + " (OID " + tablespace.oid() + ") would be restored to "
                    + location + ", which is not empty (the original cluster may still use it). HINT: --tablespace-map "
                    + tablespace.oid() + "=NEWDIR, or --delta / --force to reuse it");
        }
        return location;
    }

    private static boolean isEmpty(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return true;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.findAny().isEmpty();
        }
    }

    private static boolean isTablespaceRoot(String path) {
        return path.startsWith("pg_tblspc/") && path.indexOf('/', "pg_tblspc/".length()) < 0;
    }

    /** Where a manifest path lands: under the data directory, or under its tablespace's (mapped) location. */
    static Path locate(Path target, String path, Map<Long, Path> tablespaces) throws RestoreException {
        if (!ManifestCheck.safePath(path)) {
            throw new RestoreException("the manifest names an unsafe path '" + path + "'; refusing to restore from it");
        }
        if (path.startsWith("pg_tblspc/")) {
            String[] parts = path.split("/", 3);
            Path location = tablespaces.get(Long.parseLong(parts[1]));
            if (location != null) {
                return parts.length == 3 ? location.resolve(parts[2]) : location;
            }
        }
        return target.resolve(path);
    }

    private static boolean unchanged(Path path, Manifest.FileEntry entry) throws IOException {
        if (entry.blocks().isPresent() && entry.blocks().get().summarized()) {
            return false;  // no whole-file hash to compare with: restored again
        }
        return Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) && Files.size(path) == entry.size()
                && dev.walden.agent.backup.FileChecksum.of(path, entry.size()).orElse("").equals(entry.sha256());
    }

    private static void writeFile(Path path, String text, Ownership ownership) throws IOException {
        writeFile(path, text.getBytes(StandardCharsets.UTF_8), ownership);
    }

    private static void writeFile(Path path, byte[] bytes, Ownership ownership) throws IOException {
        Path temp = path.resolveSibling("." + path.getFileName() + ".walden-tmp");
        Files.deleteIfExists(temp);  // a link planted under this name is removed, never written through (CREATE_NEW)
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(bytes));
            channel.force(true);
        }
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
        ownership.apply(temp);
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** tablespace_map lines are {@code OID PATH}; remapped tablespaces get their new path, others stay as returned. */
    static String remapTablespaces(String map, Map<Long, Path> targets) {
        if (map.isEmpty()) {
            return map;
        }
        StringBuilder out = new StringBuilder();
        for (String line : map.split("\n")) {
            int space = line.indexOf(' ');
            if (space > 0) {
                try {
                    Path location = targets.get(Long.parseLong(line.substring(0, space)));
                    if (location != null && !location.toString().equals(line.substring(space + 1))) {
                        out.append(line, 0, space).append(' ').append(location).append('\n');
                        continue;
                    }
                } catch (NumberFormatException e) {
                    // not an OID line: keep as is
                }
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    private String restoreCommand(String clientPath) {
        return shellWord(clientPath) + " --socket " + shellWord(socketPath.toString()) + " fetch %f %p";
    }

    private static String shellWord(String word) {
        return word.matches("[A-Za-z0-9/._+-]+") ? word : "\"" + word.replace("\\", "\\\\").replace("\"", "\\\"")
                .replace("$", "\\$").replace("`", "\\`") + "\"";
    }

    /** At most this many files, or about this many bytes, are planned and restored together. */
    static final int WINDOW_FILES = 4000;
    static final long WINDOW_BYTES = 1L << 30;

    /** The files of one window, by the object that holds them. */
    private static final class Window {
        final Map<ObjectRef, List<RestoredFiles.Target>> byObject = new LinkedHashMap<>();
        final List<RestoredFiles.Target> emptyFiles = new ArrayList<>();
        final List<Assembled> assembled = new ArrayList<>();
        int entries;
        long bytes;

        boolean full() {
            return entries >= WINDOW_FILES || bytes >= WINDOW_BYTES;
        }
    }

    /** Reads each object of the window once, in parallel, then checks and syncs what it wrote. */
    private void restoreWindow(Window window, BackupSummary backup, Ownership ownership, TransferProgress progress,
                               CommandOutput output) throws RestoreException, IOException {
        List<Map.Entry<ObjectRef, List<RestoredFiles.Target>>> objects = new ArrayList<>(window.byObject.entrySet());
        objects.sort(Comparator.comparingLong((Map.Entry<ObjectRef, List<RestoredFiles.Target>> e) ->
                e.getValue().stream().mapToLong(RestoredFiles.Target::length).sum()).reversed());
        AtomicBoolean stop = new AtomicBoolean();
        try {
            ParallelFiles.run("walden-restore", threads, objects, object -> {
                List<RestoredFiles.Target> files = new ArrayList<>(object.getValue());
                files.sort(Comparator.comparingLong(RestoredFiles.Target::objectOffset));
                String name = BackupCatalog.dataName(object.getKey().backup(), object.getKey().number());
                try (RestoredFiles sink = new RestoredFiles(files, progress, ownership)) {
                    catalog.objects().read(catalog.dataKey(object.getKey().backup(), object.getKey().number()), name,
                            ObjectKind.BACKUP_DATA, MAX_OBJECT_BYTES, sink);
                    sink.requireComplete();
                } catch (CorruptObjectException e) {
                    throw new RestoreException("object " + name + " of the backup cannot be read: " + e.getMessage()
                            + "; nothing from it was kept as restored");
                } catch (ObjectNotFoundException e) {
                    throw new RestoreException("object " + name + " is missing from the repository."
                            + " HINT: walden backup list; restore another backup with --backup");
                }
            }, stop, output::cancelled, () -> output.progress(progress.line("restore " + backup.id())));
        } catch (RestoreException | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new RestoreException("restore of " + backup.id() + " stopped: " + e.getMessage(), e);
        }
        syncFiles(window.byObject.values().stream().flatMap(List::stream).filter(RestoredFiles.Target::whole)
                .map(RestoredFiles.Target::path).toList(), window.assembled, ownership, progress, output);
        for (RestoredFiles.Target file : window.emptyFiles) {
            Files.deleteIfExists(file.path());
            Files.createFile(file.path());
            RestoredFiles.setAttributes(file.path(), file.entry(), ownership);
            progress.fileDone();
        }
    }

    /** A data object of some backup of the chain. */
    record ObjectRef(String backup, int number) {}

    /**
     * Plans a block-mapped file: creates it empty and adds one target per part to the objects that hold them, parts
     * cut at 128 MiB range boundaries. A range stored as one part is checked as it is written; the others are read
     * back once assembled.
     */
    private static Assembled planBlocks(Manifest.FileEntry entry, Path destination, Map<ObjectRef, List<RestoredFiles.Target>> byObject)
            throws IOException {
        Files.deleteIfExists(destination);
        Files.createFile(destination);
        Manifest.Blocks blocks = entry.blocks().orElseThrow();
        long rangeBlocks = FileChecksum.RANGE_BYTES / blocks.size();
        Map<Long, List<Manifest.Part>> byRange = new java.util.TreeMap<>();
        for (Manifest.Part part : blocks.parts()) {
            for (long first = part.first(); first < part.first() + part.count(); ) {
                long range = first / rangeBlocks;
                long end = Math.min(part.first() + part.count(), (range + 1) * rangeBlocks);
                byRange.computeIfAbsent(range, k -> new ArrayList<>()).add(new Manifest.Part((int) first, (int) (end - first),
                        part.backup(), part.object(), part.offset() + (first - part.first()) * blocks.size()));
                first = end;
            }
        }
        List<Integer> readBack = new ArrayList<>();
        for (var range : byRange.entrySet()) {
            // A range stored in one part is checked as it is written; one assembled from parts, or of a file with no
            // range hashes (WAL summaries), is read back once it is whole.
            boolean single = range.getValue().size() == 1 && !blocks.summarized();
            if (!single) {
                readBack.add(range.getKey().intValue());
            }
            for (Manifest.Part part : range.getValue()) {
                long fileOffset = (long) part.first() * blocks.size();
                long length = Math.min((long) part.count() * blocks.size(), entry.size() - fileOffset);
                byObject.computeIfAbsent(new ObjectRef(part.backup(), part.object()), k -> new ArrayList<>())
                        .add(RestoredFiles.Target.part(entry, destination, fileOffset, part.offset(), length,
                                single ? blocks.rangeSha256().get(range.getKey().intValue()) : null));
            }
        }
        return new Assembled(entry, destination, readBack);
    }

    /** A file restored from its block map, and the ranges that must be read back to be checked. */
    record Assembled(Manifest.FileEntry entry, Path path, List<Integer> rangesToReadBack) {}

    /**
     * Makes every written file durable, in parallel, before pg_control is put in place; files assembled from blocks
     * are checked first: their size, and the ranges that were not checked as they were written.
     */
    private void syncFiles(List<Path> files, List<Assembled> assembled, Ownership ownership, TransferProgress progress,
                           CommandOutput output) throws RestoreException, IOException {
        List<Object> work = new ArrayList<>(assembled);
        work.addAll(files);
        try {
            ParallelFiles.run("walden-restore-sync", threads, work, item -> {
                Path path = item instanceof Assembled a ? a.path() : (Path) item;
                if (item instanceof Assembled a) {
                    if (Files.size(path) != a.entry().size()) {
                        throw new RestoredFiles.ChecksumMismatchException(a.entry().path() + " (restored " + Files.size(path)
                                + " bytes of " + a.entry().size() + ")");
                    }
                    for (int range : a.rangesToReadBack()) {
                        RestoredFiles.verifyRange(path, a.entry(), range);
                    }
                    RestoredFiles.setAttributes(path, a.entry(), ownership);
                    progress.fileDone();
                }
                try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                    channel.force(true);
                }
            }, new AtomicBoolean(), output::cancelled, () -> output.progress("restore: checking and syncing files"));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new RestoreException("restore stopped while syncing files: " + e.getMessage(), e);
        }
    }

    private static void syncDirectories(Path target, java.util.Collection<Path> tablespaces) throws IOException {
        List<Path> roots = new ArrayList<>();
        roots.add(target);
        roots.addAll(tablespaces);
        for (Path root : roots) {
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path path : (Iterable<Path>) paths::iterator) {
                    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                        DurableFiles.fsyncDirectory(path);
                    }
                }
            }
        }
    }

}
