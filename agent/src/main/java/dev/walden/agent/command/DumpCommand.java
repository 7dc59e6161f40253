package dev.walden.agent.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.paths.OwnedPaths;
import dev.walden.agent.logical.DumpCatalog;
import dev.walden.agent.logical.DumpException;
import dev.walden.agent.logical.DumpRecord;
import dev.walden.agent.logical.Dumps;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.protocol.Request;
import dev.walden.protocol.Result;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code walden dump [--database DB ...] [--json]}, {@code dump list [--database DB] [--json]},
 * {@code dump get ID --to FILE}, {@code dump restore ID --database NEW [--create] [--table T ...] [--schema S ...]
 * [--jobs N] [--clean --if-exists] [--no-owner --no-privileges]}.
 */
public final class DumpCommand {
    private final Dumps dumps;
    private final OwnedPaths owned;
    private final ZoneId zone;
    private final Clock clock;

    /** @param owned where dump get never writes: everything the agent keeps, and the live cluster's data directory */
    public DumpCommand(Dumps dumps, OwnedPaths owned, ZoneId zone, Clock clock) {
        this.dumps = dumps;
        this.owned = owned;
        this.zone = zone;
        this.clock = clock;
    }

    public Result run(Request.Command command, Caller caller, List<String> words, CommandOutput output) {
        try {
            Arguments a = Arguments.parse(words, Set.of("json", "create", "clean", "if-exists", "no-owner", "no-privileges"),
                    Set.of("database", "to", "table", "schema", "jobs"));
            List<String> positional = a.positional();
            if (positional.isEmpty()) {
                only(a, "dump", "database", "json");
                return take(a.values("database"), a.flag("json"), output);
            }
            return switch (positional.get(0)) {
                case "list" -> {
                    only(a, "dump list", "database", "json");
                    yield list(a.value("database"), a.flag("json"), output);
                }
                case "get" -> {
                    only(a, "dump get", "to");
                    if (positional.size() != 2 || a.value("to").isEmpty()) {
                        throw new Arguments.UsageException("dump get needs one dump id and --to FILE");
                    }
                    yield get(positional.get(1), path(command, a.value("to").get()), caller);
                }
                case "restore" -> {
                    only(a, "dump restore", "database", "create", "table", "schema", "jobs", "clean", "if-exists", "no-owner", "no-privileges");
                    if (positional.size() != 2 || a.values("database").size() != 1) {
                        throw new Arguments.UsageException("dump restore needs one dump id and --database NEW, the database to restore into");
                    }
                    if (a.flag("if-exists") && !a.flag("clean")) {
                        throw new Arguments.UsageException("--if-exists goes with --clean");
                    }
                    int jobs = a.value("jobs").map(DumpCommand::jobs).orElse(1);
                    yield restore(new Dumps.RestoreRequest(positional.get(1), a.values("database").get(0), a.flag("create"),
                            a.values("table"), a.values("schema"), jobs, a.flag("clean"), a.flag("if-exists"), a.flag("no-owner"),
                            a.flag("no-privileges")), output);
                }
                default -> throw new Arguments.UsageException("unknown dump subcommand '" + positional.get(0) + "' (list, get, restore)");
            };
        } catch (Arguments.UsageException | IllegalArgumentException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        }
    }

    private static void only(Arguments a, String what, String... allowed) throws Arguments.UsageException {
        Set<String> ok = Set.of(allowed);
        for (String option : List.of("json", "create", "clean", "if-exists", "no-owner", "no-privileges", "database", "to", "table", "schema", "jobs")) {
            boolean given = a.flag(option) || !a.values(option).isEmpty();
            if (given && !ok.contains(option)) {
                throw new Arguments.UsageException("--" + option + " is not an option of walden " + what);
            }
        }
    }

    private static int jobs(String text) {
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= 64) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("--jobs must be 1..64, got '" + text + "'");
    }

    private static Path path(Request.Command command, String text) throws Arguments.UsageException {
        try {
            return Path.of(command.workingDirectory().isEmpty() ? "/" : command.workingDirectory()).resolve(text);
        } catch (InvalidPathException e) {
            throw new Arguments.UsageException("invalid path '" + text + "': " + e.getMessage());
        }
    }

    private Result take(List<String> databases, boolean json, CommandOutput output) {
        try {
            Dumps.RunOutcome outcome = dumps.take(databases, output);
            String expired = expire(output);
            if (json) {
                ArrayNode array = ManifestJson.newArray();
                outcome.stored().forEach(d -> DumpCatalog.json(array.addObject(), d));
                output.out(ManifestJson.pretty(array));
            } else {
                for (DumpRecord d : outcome.stored()) {
                    output.out(String.format("%-40s %-20s %10s %10s  %s%n", d.id(), d.subject(), TransferProgress.size(d.bytes()),
                            TransferProgress.size(d.storedBytes()), d.tocEntries().isPresent() ? d.tocEntries().getAsLong() + " TOC entries" : "SQL"));
                }
            }
            for (String failure : outcome.failures()) {
                output.err("walden: " + failure + "\n");
            }
            if (!outcome.failures().isEmpty()) {
                return new Result(CommandExit.FAILED, "dump failed for " + outcome.failures().size() + " of " + (outcome.stored().size()
                        + outcome.failures().size()) + " (listed above); the others are complete" + expired);
            }
            return new Result(CommandExit.OK, json ? "" : outcome.stored().size() + " dumps complete, each read back by pg_restore --list" + expired);
        } catch (DumpException e) {
            return new Result(CommandExit.FAILED, "dump failed: " + e.getMessage());
        } catch (IOException e) {
            return new Result(CommandExit.FAILED, "dump failed: repository error: " + Replies.describe(e) + "; nothing incomplete is listed");
        }
    }

    /** After a run, once a policy is set, the dumps no rule keeps go: one clause for the summary line. */
    private String expire(CommandOutput output) {
        if (!dumps.policy().enabled()) {
            return "";
        }
        try {
            Optional<DumpCatalog> catalog = dumps.catalog();
            if (catalog.isEmpty()) {
                return "";
            }
            Map<DumpRecord, List<String>> plan = dumps.plan(catalog.get().list().complete(), clock.instant());
            int expired = dumps.expire(false, plan).size();
            return expired == 0 ? "" : "; expired " + expired + " old dumps";
        } catch (IOException | RepositoryFormatException | CorruptObjectException e) {
            output.err("walden: warning: expiring old dumps failed: " + e.getMessage() + "\n");
            return "";
        }
    }

    private Result list(Optional<String> database, boolean json, CommandOutput output) {
        try {
            Optional<DumpCatalog> catalog = dumps.catalog();
            DumpCatalog.Listing listing = catalog.isEmpty() ? new DumpCatalog.Listing(List.of(), List.of()) : catalog.get().list();
            List<DumpRecord> shown = listing.complete().stream().filter(d -> database.isEmpty() || d.database().equals(database)).toList();
            if (json) {
                ArrayNode array = ManifestJson.newArray();
                shown.forEach(d -> DumpCatalog.json(array.addObject(), d));
                if (database.isEmpty()) {
                    listing.incomplete().forEach(id -> array.addObject().put("id", id).put("status", "incomplete"));
                }
                output.out(ManifestJson.pretty(array));
                return new Result(CommandExit.OK, "");
            }
            if (shown.isEmpty()) {
                return new Result(CommandExit.OK, "no dumps" + database.map(d -> " of database " + d).orElse("") + " yet. HINT: walden dump");
            }
            StringBuilder table = new StringBuilder(String.format("%-40s %-20s %-25s %10s %10s %s%n", "ID", "DATABASE", "STOPPED", "SIZE", "STORED", "TOC"));
            for (DumpRecord d : shown) {
                table.append(String.format("%-40s %-20s %-25s %10s %10s %s%n", d.id(), d.subject(),
                        ManifestJson.time(d.stopped().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), zone), TransferProgress.size(d.bytes()),
                        TransferProgress.size(d.storedBytes()), d.tocEntries().isPresent() ? Long.toString(d.tocEntries().getAsLong()) : "-"));
            }
            output.out(table.toString());
            return new Result(CommandExit.OK, "");
        } catch (IOException | RepositoryFormatException | CorruptObjectException e) {
            return new Result(CommandExit.FAILED, "cannot list dumps: " + Replies.describe(e));
        }
    }

    private Result get(String id, Path requested, Caller caller) {
        Path target = requested;
        try {
            target = owned.judge(requested, "--to");
            if (!caller.mayWrite(target)) {
                return new Result(CommandExit.FAILED, "dump get refused: " + caller.name() + " cannot write " + requested
                        + " themselves, and the agent writes only where its caller could. HINT: --to a file in a directory you own");
            }
            DumpRecord d = dumps.get(id, target);
            return new Result(CommandExit.OK, "wrote " + target + " (" + TransferProgress.size(d.bytes()) + ", " + (d.format().equals("custom")
                    ? "custom format: pg_restore --list " + target + " shows its contents)" : "SQL: psql -f " + target + ")"));
        } catch (OwnedPaths.RefusedPathException e) {
            return new Result(CommandExit.FAILED, "dump get refused: " + e.getMessage());
        } catch (DumpException e) {
            return new Result(CommandExit.FAILED, "dump get refused: " + e.getMessage());
        } catch (IOException e) {
            return new Result(CommandExit.FAILED, "dump get failed: " + Replies.describe(e) + "; nothing was written to " + target
                    + ". HINT: the agent writes the file, as its own user; under the shipped systemd unit it may write below"
                    + " /var/lib/postgresql and /var/lib/walden only (and its /tmp is private), so pick --to there or add"
                    + " ReadWritePaths= with systemctl edit walden-agent");
        }
    }

    private Result restore(Dumps.RestoreRequest request, CommandOutput output) {
        try {
            String warnings = dumps.restore(request, output);
            if (!warnings.isEmpty()) {
                output.err(warnings + "\n");
            }
            return new Result(CommandExit.OK, "restored dump " + request.id() + " into database " + request.database()
                    + (request.tables().isEmpty() ? "" : " (tables " + String.join(", ", request.tables()) + ")")
                    + (request.jobs() > 1 ? " with " + request.jobs() + " jobs" : ""));
        } catch (DumpException e) {
            return new Result(CommandExit.FAILED, "dump restore failed: " + e.getMessage());
        } catch (IOException e) {
            return new Result(CommandExit.FAILED, "dump restore failed: " + Replies.describe(e));
        }
    }
}
