package dev.walden.agent.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.restore.RecoveryTarget;
import dev.walden.agent.restore.RestoreException;
import dev.walden.agent.restore.TableRestore;
import dev.walden.agent.backup.Lsn;
import dev.walden.protocol.Request;
import dev.walden.protocol.Result;
import java.io.IOException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code walden restore-table --table SCHEMA.NAME [--table ...] --database DB --target-time T | --target-lsn L |
 * --target-xid X [--into-database D] [--as NAME] [--schema-only | --data-only] [--replace] [--json]}.
 */
public final class RestoreTableCommand {
    private static final Logger LOG = Logger.getLogger(RestoreTableCommand.class.getName());
    private static final Set<String> FLAGS = Set.of("schema-only", "data-only", "replace", "json");
    private static final Set<String> VALUED = Set.of("table", "database", "target-time", "target-lsn", "target-xid", "into-database", "as");

    private final Optional<TableRestore> restore;
    private final ZoneId zone;
    private final Clock clock;

    /** @param restore empty when the agent has no live cluster (pg-data unset) to load tables into */
    public RestoreTableCommand(Optional<TableRestore> restore, ZoneId zone, Clock clock) {
        this.restore = restore;
        this.zone = zone;
        this.clock = clock;
    }

    public Result run(Request.Command command, List<String> words, CommandOutput output) {
        TableRestore.Request request;
        try {
            request = parse(command, words);
        } catch (Arguments.UsageException | IllegalArgumentException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        }
        if (restore.isEmpty()) {
            return new Result(CommandExit.FAILED, "restore-table loads into the live cluster, and the agent has none: set pg-data (and"
                    + " pg-host, pg-port, pg-user) in walden-agent.conf");
        }
        try {
            TableRestore.Report report = restore.get().run(request, output);
            if (words.contains("--json")) {
                output.out(ManifestJson.pretty(json(report)));
                return new Result(CommandExit.OK, "");
            }
            List<String> done = new ArrayList<>();
            for (TableRestore.Restored t : report.tables()) {
                done.add(t.table() + " as " + t.as() + " in database " + t.database() + " (" + t.rows() + " rows)");
            }
            return new Result(CommandExit.OK, "restored " + String.join(", ", done) + " as of " + report.target() + " from backup "
                    + report.backup() + (report.recoveredTo().map(r -> "; the last transaction replayed committed at " + r).orElse(""))
                    + (report.droppedForeignKeys().isEmpty() ? "" : "; foreign keys not restored (a copy must not hold up the live"
                    + " tables): " + String.join(", ", report.droppedForeignKeys()))
                    + String.format("; %.1f s (restore %.1f, recovery %.1f, dump %.1f, load %.1f)", report.phaseSeconds().get("total"),
                    report.phaseSeconds().get("restore"), report.phaseSeconds().get("recovery"), report.phaseSeconds().get("dump"),
                    report.phaseSeconds().get("load")));
        } catch (RestoreException e) {
            return new Result(CommandExit.FAILED, "restore-table refused or failed: " + e.getMessage() + "; the live cluster is unchanged");
        } catch (IOException e) {
            return new Result(CommandExit.FAILED, "restore-table failed: " + Replies.describe(e) + "; the live cluster is unchanged");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(CommandExit.FAILED, "restore-table interrupted; the live cluster is unchanged");
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "walden restore-table failed unexpectedly", e);
            return new Result(CommandExit.INTERNAL, Replies.internalError("walden restore-table", e));
        }
    }

    private TableRestore.Request parse(Request.Command command, List<String> words) throws Arguments.UsageException {
        Arguments arguments = Arguments.parse(words, FLAGS, VALUED);
        if (!arguments.positional().isEmpty()) {
            throw new Arguments.UsageException("restore-table takes no operands, got '" + arguments.positional().get(0) + "'");
        }
        List<TableRestore.Table> tables = new ArrayList<>();
        for (String table : arguments.values("table")) {
            tables.add(TableRestore.Table.parse(table));
        }
        if (tables.isEmpty()) {
            throw new Arguments.UsageException("restore-table needs --table SCHEMA.NAME (one or more)");
        }
        String database = arguments.value("database").orElseThrow(() -> new Arguments.UsageException(
                "restore-table needs --database DB, the database the tables are in"));
        ZoneId callerZone = ClientZone.of(command).orElse(zone);
        RecoveryTarget target = null;
        int targets = 0;
        if (arguments.value("target-time").isPresent()) {
            targets++;
            target = RecoveryTarget.parseTime(arguments.value("target-time").get(), callerZone, LocalDate.now(clock.withZone(callerZone)));
        }
        if (arguments.value("target-lsn").isPresent()) {
            targets++;
            target = new RecoveryTarget.Location(Lsn.parse(arguments.value("target-lsn").get()));
        }
        if (arguments.value("target-xid").isPresent()) {
            targets++;
            try {
                target = new RecoveryTarget.Xid(Long.parseUnsignedLong(arguments.value("target-xid").get()));
            } catch (NumberFormatException e) {
                throw new Arguments.UsageException("--target-xid must be a transaction id (a number)");
            }
        }
        if (targets != 1) {
            throw new Arguments.UsageException("restore-table needs exactly one of --target-time, --target-lsn, --target-xid: the moment"
                    + " the tables are wanted as of");
        }
        if (arguments.value("as").isPresent() && tables.size() > 1) {
            throw new Arguments.UsageException("--as names one restored table; give one --table with it");
        }
        if (arguments.flag("schema-only") && arguments.flag("data-only")) {
            throw new Arguments.UsageException("--schema-only and --data-only exclude each other");
        }
        if (arguments.flag("replace") && (arguments.value("as").isPresent() || arguments.value("into-database").isPresent())) {
            throw new Arguments.UsageException("--replace replaces the live tables themselves; it takes no --as or --into-database");
        }
        arguments.value("as").ifPresent(as -> dev.walden.agent.restore.RecoveryConfig.checkValue("--as", as));
        arguments.value("into-database").ifPresent(d -> dev.walden.agent.restore.RecoveryConfig.checkValue("--into-database", d));
        dev.walden.agent.restore.RecoveryConfig.checkValue("--database", database);
        String clientPath = command.clientPath().isEmpty() ? "walden" : command.clientPath();
        return new TableRestore.Request(List.copyOf(tables), database, target, arguments.value("into-database"), arguments.value("as"),
                arguments.flag("schema-only"), arguments.flag("data-only"), arguments.flag("replace"), clientPath);
    }

    private static ObjectNode json(TableRestore.Report report) {
        ObjectNode root = ManifestJson.newObject();
        root.put("backup", report.backup()).put("target", report.target());
        report.recoveredTo().ifPresentOrElse(r -> root.put("recovered_to", r), () -> root.putNull("recovered_to"));
        ArrayNode tables = root.putArray("tables");
        for (TableRestore.Restored t : report.tables()) {
            tables.addObject().put("table", t.table().toString()).put("restored_as", t.as().toString()).put("database", t.database())
                    .put("rows", t.rows());
        }
        root.put("restored_bytes", report.restoredBytes()).put("other_database_files_left_empty", report.otherDatabaseFiles());
        ArrayNode keys = root.putArray("foreign_keys_not_restored");
        report.droppedForeignKeys().forEach(keys::add);
        ObjectNode phases = root.putObject("seconds");
        report.phaseSeconds().forEach(phases::put);
        return root;
    }
}
