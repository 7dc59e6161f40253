package dev.walden.agent.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupException;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.BackupType;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.protocol.Result;
import java.io.IOException;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code walden backup [--type full|incr] [--json]}, {@code walden backup list [--json]}, {@code walden backup show ID [--json]},
 * {@code walden backup keep ID [--until DATE]}, {@code walden backup release ID}. A backup is followed by an expiry
 * once a retention policy is set.
 */
public final class BackupCommand {
    private static final Logger LOG = Logger.getLogger(BackupCommand.class.getName());
    private final BaseBackups backups;
    private final List<RepositoryServices> repositories;
    private final ZoneId zone;
    private final java.time.Clock clock;

    private final dev.walden.agent.metrics.WaldenMetrics metrics;

    /** @param repositories each expired by its own policy after a backup */
    public BackupCommand(BaseBackups backups, List<RepositoryServices> repositories, ZoneId zone, java.time.Clock clock,
                         dev.walden.agent.metrics.WaldenMetrics metrics) {
        this.metrics = metrics;
        this.backups = backups;
        this.repositories = List.copyOf(repositories);
        this.zone = zone;
        this.clock = clock;
    }

    public Result run(List<String> words, CommandOutput output) {
        try {
            Arguments arguments = Arguments.parse(words, Set.of("json", "checksum-all"), Set.of("type", "until"));
            List<String> positional = arguments.positional();
            if (positional.isEmpty()) {
                BackupType type = BackupType.parse(arguments.value("type").orElse("full"));
                return take(type, arguments.flag("checksum-all"), arguments.flag("json"), output);
            }
            if (arguments.value("type").isPresent() || arguments.flag("checksum-all")) {
                throw new Arguments.UsageException("--type and --checksum-all are for taking a backup, not for backup "
                        + positional.get(0));
            }
            if (arguments.value("until").isPresent() && !positional.get(0).equals("keep")) {
                throw new Arguments.UsageException("--until is for backup keep");
            }
            return switch (positional.get(0)) {
                case "list" -> {
                    if (positional.size() != 1) {
                        throw new Arguments.UsageException("backup list takes no operands");
                    }
                    yield list(arguments.flag("json"), output);
                }
                case "show" -> {
                    if (positional.size() != 2) {
                        throw new Arguments.UsageException("backup show needs one backup id");
                    }
                    yield show(positional.get(1), arguments.flag("json"), output);
                }
                case "keep" -> {
                    if (positional.size() != 2) {
                        throw new Arguments.UsageException("backup keep needs one backup id");
                    }
                    yield keep(positional.get(1), arguments.value("until"));
                }
                case "release" -> {
                    if (positional.size() != 2) {
                        throw new Arguments.UsageException("backup release needs one backup id");
                    }
                    yield release(positional.get(1));
                }
                case "commit" -> {
                    if (positional.size() != 2) {
                        throw new Arguments.UsageException("backup commit needs one backup id");
                    }
                    yield commit(positional.get(1), output);
                }
                default -> throw new Arguments.UsageException("unknown backup subcommand '" + positional.get(0)
                        + "' (list, show, keep, release, commit)");
            };
        } catch (Arguments.UsageException | IllegalArgumentException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        }
    }

    private Result take(BackupType type, boolean checksumAll, boolean json, CommandOutput output) {
        try {
            BackupSummary summary;
            try {
                summary = backups.take(type, checksumAll, output);
            } catch (BackupException | IOException | RuntimeException e) {
                metrics.backupFailed(type.label, clock.instant());
                throw e;
            }
            metrics.backupSucceeded(summary.type().label, summary.stopped(),
                    java.time.Duration.between(summary.started(), summary.stopped()).toMillis() / 1000.0, summary.storedBytes());
            expireAfterBackup(output);
            if (json) {
                output.out(ManifestJson.pretty(ManifestJson.summaryNode(summary, "complete", zone)));
                return new Result(CommandExit.OK, "");
            }
            return new Result(CommandExit.OK, "backup " + summary.id() + " complete (" + summary.type().label
                    + summary.parent().map(p -> " on " + p).orElse("") + "): " + TransferProgress.size(summary.bytes())
                    + " backed up, " + TransferProgress.size(summary.storedBytes()) + " stored, in "
                    + TransferProgress.duration(java.time.Duration.between(summary.started(), summary.stopped()).toMillis() / 1000.0)
                    + "; WAL " + summary.walStart() + " .. " + summary.walStop() + " archived");
        } catch (BackupException e) {
            return new Result(CommandExit.FAILED, "backup failed: " + e.getMessage());
        } catch (IOException e) {
            return new Result(CommandExit.FAILED, "backup failed: repository or data directory error: " + Replies.describe(e)
                    + "; the backup is incomplete and will never be offered for restore");
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "walden backup failed unexpectedly", e);
            return new Result(CommandExit.INTERNAL, Replies.internalError("walden backup", e)
                    + "; the backup is incomplete and will never be offered for restore");
        }
    }

    /**
     * Once a policy is set, every backup is followed by an expiry. Its failure does not undo the backup, which is
     * complete: it is reported as a warning, and the next backup or {@code walden expire} tries again.
     */
    private void expireAfterBackup(CommandOutput output) {
        for (RepositoryServices repository : repositories) {
            dev.walden.agent.retention.Expiry expiry = repository.expiry();
            if (!expiry.policy().enabled()) {
                continue;
            }
            String where = repositories.size() > 1 ? repository.heading() + ": " : "";
            try {
                var outcome = expiry.run(false, output::progress);
                if (!outcome.plan().expiredBackups().isEmpty() || !outcome.plan().leftovers().isEmpty() || outcome.plan().expiredWalFiles() > 0) {
                    output.err("walden: " + where + ExpireCommand.summary(outcome) + "\n");  // said only when something went
                }
            } catch (BackupException | IOException | RepositoryFormatException | BackupCatalog.CatalogException e) {
                LOG.warning(where + "expiry after the backup failed: " + e.getMessage());
                output.err("walden: warning: " + where + "the backup is complete, but expiring old backups failed: " + Replies.describe(e)
                        + ". HINT: walden expire --dry-run shows what it would do\n");
            }
        }
    }

    private Result keep(String id, Optional<String> until) {
        try {
            BackupCatalog catalog = completeCatalog(id);
            java.time.Instant now = clock.instant();
            Optional<java.time.Instant> end = until.isEmpty() ? Optional.empty() : Optional.of(untilTime(until.get()));
            if (end.isPresent() && !end.get().isAfter(now)) {
                return new Result(CommandExit.USAGE, "--until " + until.get() + " is in the past (walden --help shows usage)");
            }
            catalog.hold(new dev.walden.agent.backup.Hold(id, now, end));
            return new Result(CommandExit.OK, "backup " + id + " is held" + end.map(e -> " until " + ManifestJson.time(e, zone)).orElse(
                    " until walden backup release " + id) + "; retention keeps it and everything it needs");
        } catch (NoSuchBackup e) {
            return new Result(CommandExit.FAILED, e.getMessage());
        } catch (IllegalArgumentException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        } catch (IOException | RepositoryFormatException | BackupCatalog.CatalogException e) {
            return new Result(CommandExit.FAILED, "cannot hold backup " + id + ": " + Replies.describe(e));
        }
    }

    private Result release(String id) {
        try {
            BackupCatalog catalog = completeCatalog(id);
            return new Result(CommandExit.OK, catalog.release(id) ? "backup " + id + " is no longer held; retention rules alone decide"
                    + " whether it is kept (walden expire --dry-run shows it)" : "backup " + id + " was not held");
        } catch (NoSuchBackup e) {
            return new Result(CommandExit.FAILED, e.getMessage());
        } catch (IOException | RepositoryFormatException | BackupCatalog.CatalogException e) {
            return new Result(CommandExit.FAILED, "cannot release backup " + id + ": " + Replies.describe(e));
        }
    }

    /** A date means the end of that day in the agent's zone; a time without an offset is in that zone too. */
    private java.time.Instant untilTime(String text) {
        try {
            return java.time.LocalDate.parse(text).plusDays(1).atStartOfDay(zone).toInstant();
        } catch (java.time.format.DateTimeParseException notADate) {
            // a timestamp
        }
        try {
            return java.time.OffsetDateTime.parse(text.replace(' ', 'T')).toInstant();
        } catch (java.time.format.DateTimeParseException notOffset) {
            // local
        }
        try {
            return java.time.LocalDateTime.parse(text.replace(' ', 'T')).atZone(zone).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("--until '" + text + "' is not a date; use e.g. 2027-01-31 (through that day)"
                    + " or '2027-01-31 18:00' (in " + zone + ") or 2027-01-31T18:00:00Z");
        }
    }

    private static final class NoSuchBackup extends Exception {
        NoSuchBackup(String message) {
            super(message);
        }
    }

    private BackupCatalog completeCatalog(String id) throws IOException, RepositoryFormatException, BackupCatalog.CatalogException,
            NoSuchBackup {
        Optional<BackupCatalog> catalog = backups.catalog();
        if (catalog.isEmpty() || catalog.get().list().find(id).isEmpty()) {
            throw new NoSuchBackup("no complete backup " + id + ". HINT: walden backup list");
        }
        return catalog.get();
    }

    private Result list(boolean json, CommandOutput output) {
        try {
            Optional<BackupCatalog> catalog = backups.catalog();
            BackupCatalog.Listing listing = catalog.isEmpty() ? new BackupCatalog.Listing(List.of(), List.of()) : catalog.get().list();
            java.util.Map<String, dev.walden.agent.backup.Hold> holds = new java.util.HashMap<>();
            if (catalog.isPresent()) {
                java.time.Instant now = clock.instant();
                catalog.get().holds().stream().filter(h -> h.activeAt(now)).forEach(h -> holds.put(h.backupId(), h));
            }
            if (json) {
                ArrayNode array = ManifestJson.newArray();
                listing.complete().forEach(b -> {
                    ObjectNode node = ManifestJson.summaryNode(b, "complete", zone);
                    dev.walden.agent.backup.Hold hold = holds.get(b.id());
                    if (hold == null) {
                        node.putNull("held_until");
                    } else {
                        node.put("held_until", hold.until().map(u -> ManifestJson.time(u, zone)).orElse("released by hand"));
                    }
                    array.add(node);
                });
                for (String id : listing.incomplete()) {
                    ObjectNode node = array.addObject();
                    node.put("id", id).put("status", backups.running() ? "running" : "incomplete");
                }
                for (BackupCatalog.Unusable u : listing.unusable()) {
                    array.addObject().put("id", u.id()).put("status", u.uncommitted() ? "uncommitted" : "unusable").put("reason", u.reason());
                }
                output.out(ManifestJson.pretty(array));
                return new Result(CommandExit.OK, "");
            }
            if (listing.complete().isEmpty() && listing.incomplete().isEmpty() && listing.unusable().isEmpty()) {
                return new Result(CommandExit.OK, "no backups yet. HINT: walden backup");
            }
            StringBuilder table = new StringBuilder(String.format("%-17s %-4s %-10s %-25s %-25s %10s %10s  %s%n",
                    "ID", "TYPE", "STATUS", "STARTED", "STOPPED", "SIZE", "STORED", "WAL"));
            for (BackupSummary b : listing.complete()) {
                table.append(String.format("%-17s %-4s %-10s %-25s %-25s %10s %10s  %s%s%n", b.id(), b.type().label, "complete",
                        shortTime(b.started()), shortTime(b.stopped()), TransferProgress.size(b.bytes()),
                        TransferProgress.size(b.storedBytes()), b.walStart() + " .. " + b.walStop(),
                        holds.containsKey(b.id()) ? "  (held" + holds.get(b.id()).until().map(u -> " until " + shortTime(u)).orElse("") + ")" : ""));
            }
            for (String id : listing.incomplete()) {
                table.append(String.format("%-17s %-4s %-10s%n", id, id.endsWith("I") ? "incr" : "full",
                        backups.running() ? "running" : "incomplete"));
            }
            for (BackupCatalog.Unusable u : listing.unusable()) {
                table.append(String.format("%-17s %-4s %-10s %s%n", u.id(), u.id().endsWith("I") ? "incr" : "full",
                        u.uncommitted() ? "uncommitted" : "unusable", u.reason()));
            }
            output.out(table.toString());
            return new Result(CommandExit.OK, "");
        } catch (IOException | RepositoryFormatException | BackupCatalog.CatalogException e) {
            return new Result(CommandExit.FAILED, "cannot list backups: " + Replies.describe(e));
        }
    }

    private Result commit(String id, CommandOutput output) {
        try {
            BackupSummary summary = backups.recommit(id, output::progress);
            return new Result(CommandExit.OK, "backup " + id + " committed: its objects read back intact and its WAL "
                    + summary.walStart() + " .. " + summary.walStop() + " is archived; it is now offered for restore");
        } catch (BackupException e) {
            return new Result(CommandExit.FAILED, "backup commit refused: " + e.getMessage());
        } catch (IOException | RepositoryFormatException | BackupCatalog.CatalogException e) {
            return new Result(CommandExit.FAILED, "backup commit failed: " + Replies.describe(e) + "; nothing was committed");
        }
    }

    private Result show(String id, boolean json, CommandOutput output) {
        try {
            Optional<BackupCatalog> catalog = backups.catalog();
            BackupCatalog.Listing listing = catalog.isEmpty() ? new BackupCatalog.Listing(List.of(), List.of()) : catalog.get().list();
            Optional<BackupSummary> found = listing.find(id);
            if (found.isEmpty()) {
                return new Result(CommandExit.FAILED, "no complete backup " + id + (listing.incomplete().contains(id)
                        ? " (it is incomplete: interrupted, or still running)" : listing.findUnusable(id).map(u -> " (" + u.reason() + ")")
                        .orElse("")) + ". HINT: walden backup list");
            }
            BackupSummary b = found.get();
            String archiveEnd = archiveEnd(catalog.get(), b);
            dev.walden.agent.backup.Manifest.Header header = catalog.get().manifestHeader(id);
            List<dev.walden.agent.backup.Manifest.Tablespace> tablespaces = header.tablespaces();
            List<dev.walden.agent.backup.Manifest.ConfigFile> configFiles = header.configFiles();
            ObjectNode node = ManifestJson.summaryNode(b, "complete", zone);
            node.putObject("wal_required").put("first", b.walStart()).put("last", b.walStop());
            node.putObject("recovery_window").put("from", ManifestJson.time(b.stopped(), zone)).put("from_lsn", b.stopLsn().toString())
                    .put("to_segment", archiveEnd);
            var spaces = node.putArray("tablespaces");
            tablespaces.forEach(t -> spaces.addObject().put("oid", t.oid()).put("name", t.name()).put("location", t.location()));
            node.put("taken_from", header.takenFrom());
            var configs = node.putArray("config_files");
            configFiles.forEach(c -> configs.addObject().put("role", c.role()).put("path", c.path()).put("bytes", c.text().length()));
            if (json) {
                output.out(ManifestJson.pretty(node));
            } else {
                output.out("backup " + b.id() + " (" + b.type().label + b.parent().map(p -> ", parent " + p).orElse("") + ")\n"
                        + "  status            complete\n"
                        + "  started           " + ManifestJson.time(b.started(), zone) + " at " + b.startLsn() + "\n"
                        + "  stopped           " + ManifestJson.time(b.stopped(), zone) + " at " + b.stopLsn() + ", timeline " + b.timeline() + "\n"
                        + "  size              " + TransferProgress.size(b.bytes()) + " (" + TransferProgress.size(b.storedBytes()) + " stored)\n"
                        + "  needs backups     " + String.join(", ", b.references()) + "\n"
                        + "  WAL required      " + b.walStart() + " .. " + b.walStop() + "\n"
                        + "  recovery window   from " + ManifestJson.time(b.stopped(), zone) + " (" + b.stopLsn() + ") to the end of "
                        + archiveEnd + "\n"
                        + "  PostgreSQL        " + b.pgVersion() + ", system " + Long.toUnsignedString(b.systemIdentifier()) + "\n"
                        + "  taken from        " + header.takenFrom() + "\n"
                        + (tablespaces.isEmpty() ? "" : "  tablespaces       " + String.join(", ", tablespaces.stream()
                                .map(t -> t.oid() + " " + t.name() + " at " + t.location()).toList())
                                + " (move one on restore with --tablespace-map OID=DIR)\n")
                        + (configFiles.isEmpty() ? "" : "  configuration     " + String.join(", ", configFiles.stream()
                                .map(c -> c.path() + " (" + c.role() + ")").toList())
                                + ": kept from outside the data directory; restore writes them into it, or --config-to DIR\n"));
            }
            return new Result(CommandExit.OK, "");
        } catch (IOException | RepositoryFormatException | BackupCatalog.CatalogException e) {
            return new Result(CommandExit.FAILED, "cannot show backup " + id + ": " + Replies.describe(e));
        }
    }

    private String shortTime(java.time.Instant instant) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssxxx").format(instant.atZone(zone));
    }

    /** The last segment of the unbroken run of archived WAL that starts at the backup's first segment. */
    private static String archiveEnd(BackupCatalog catalog, BackupSummary backup) throws IOException {
        var reach = dev.walden.agent.restore.ArchiveReach.of(catalog.wal(), backup);
        return reach.endLsn().equals(backup.startLsn()) ? "(nothing archived)" : reach.lastSegment();
    }
}
