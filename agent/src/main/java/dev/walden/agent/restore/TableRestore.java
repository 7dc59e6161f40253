package dev.walden.agent.restore;

import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.command.CommandOutput;
import dev.walden.agent.postgres.PostgresException;
import dev.walden.agent.postgres.PostgresSession;
import dev.walden.agent.postgres.PostgresSettings;
import dev.walden.agent.postgres.ScratchCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * {@code walden restore-table}: a table as it was at a point in time, beside the live one. Restores into drill-path only
 * what recovery needs (the global catalog, the templates and the one database; every other database's files are left
 * as empty sparse files and never opened), recovers a private server to the target, takes the tables out with that
 * major's own pg_dump, and loads them into the live cluster in one transaction under new names. The live cluster is
 * touched only by that load; the scratch server and its directory are removed in every case.
 */
public final class TableRestore {
    private static final Logger LOG = Logger.getLogger(TableRestore.class.getName());

    /** A table by schema and name. */
    public record Table(String schema, String name) {
        /** {@code SCHEMA.NAME}, or {@code NAME} in public. */
        public static Table parse(String text) {
            int dot = text.indexOf('.');
            Table table = dot < 0 ? new Table("public", text) : new Table(text.substring(0, dot), text.substring(dot + 1));
            if (table.schema().isEmpty() || table.name().isEmpty()) {
                throw new IllegalArgumentException("--table takes SCHEMA.NAME, got '" + text + "'");
            }
            RecoveryConfig.checkValue("--table", text);
            return table;
        }

        @Override
        public String toString() {
            return schema + "." + name;
        }
    }

    /**
     * What to restore.
     *
     * @param as           the new name (one table only); empty: NAME_restored_YYYYMMDDHHMM, or NAME in another database
     * @param intoDatabase load into this database instead of {@code database}
     * @param replace      replace the live tables (dropped and loaded in one transaction) instead of loading beside them
     */
    public record Request(List<Table> tables, String database, RecoveryTarget target, Optional<String> intoDatabase,
                          Optional<String> as, boolean schemaOnly, boolean dataOnly, boolean replace, String clientPath) {}

    /** One table restored: as what, where, with how many rows. */
    public record Restored(Table table, Table as, String database, long rows) {}

    /** What was done, for the closing line and --json. */
    public record Report(String backup, String target, Optional<String> recoveredTo, List<Restored> tables, List<String> droppedForeignKeys,
                         Map<String, Double> phaseSeconds, long restoredBytes, long otherDatabaseFiles) {}

    private final BaseBackups backups;
    private final PostgresSettings live;
    private final Path drillPath;
    private final Optional<Path> pgBin;
    private final Duration timeout;
    private final int threads;
    private final Path socketPath;
    private final dev.walden.agent.paths.OwnedPaths owned;
    private final ZoneId zone;
    private final Clock clock;

    public TableRestore(BaseBackups backups, PostgresSettings live, Path drillPath, Optional<Path> pgBin, Duration timeout, int threads,
                        Path socketPath, dev.walden.agent.paths.OwnedPaths owned, ZoneId zone, Clock clock) {
        this.backups = backups;
        this.live = live;
        this.drillPath = drillPath;
        this.pgBin = pgBin;
        this.timeout = timeout;
        this.threads = threads;
        this.socketPath = socketPath;
        this.owned = owned;
        this.zone = zone;
        this.clock = clock;
    }

    public Report run(Request request, CommandOutput output) throws RestoreException, IOException, InterruptedException {
        Map<String, Double> phases = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        Set<Long> keep = databasesToKeep(request.database());
        Optional<BackupCatalog> catalog;
        try {
            catalog = backups.catalog();
        } catch (dev.walden.agent.repository.RepositoryFormatException e) {
            throw new RestoreException(e.getMessage());
        }
        if (catalog.isEmpty()) {
            throw new RestoreException("the repository is empty: there is no backup to restore a table from");
        }
        Path root;
        try {
            root = owned.plus(new dev.walden.agent.paths.OwnedPaths.Owned(live.dataDirectory().orElse(Path.of("/nonexistent")),
                    "live cluster's data directory (pg-data)")).judge(drillPath.toAbsolutePath(), "drill-path");
        } catch (dev.walden.agent.paths.OwnedPaths.RefusedPathException e) {
            throw new RestoreException(e.getMessage());
        }
        String id = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(java.time.ZoneOffset.UTC).format(clock.instant());
        ScratchCluster scratch = ScratchCluster.create(root, "table-restore", id, live.dataDirectory());
        try {
            output.progress("restore-table: restoring the global catalog, the templates and database " + request.database());
            Restorer restorer = new Restorer(catalog.get(), backups.timelines(), threads, socketPath, zone, clock);
            RestoreRequest restore = new RestoreRequest(scratch.data(), Optional.empty(), request.target(), Optional.of("promote"),
                    Optional.empty(), Map.of(), false, false, request.clientPath(), owned, Optional.of(scratch.run().resolve("tablespaces")))
                    .onlyDatabases(keep);
            Restorer.Outcome restored = restorer.restore(restore, quiet(output));
            phases.put("restore", seconds(t0));

            long t1 = System.nanoTime();
            Optional<String> binaries = scratch.useBinaries(pgBin, restored.backup().pgVersion() / 10000);
            if (binaries.isPresent()) {
                throw new RestoreException(binaries.get());
            }
            // autovacuum off: the other databases are empty files, and nothing but the dump may open them.
            scratch.start("walden-table-restore-" + id, "autovacuum=off");
            Optional<String> failed = scratch.awaitPromotion(timeout, live.user(), request.database(), output::cancelled,
                    line -> output.progress("restore-table: " + line));
            if (failed.isPresent()) {
                throw new RestoreException(failed.get());
            }
            phases.put("recovery", seconds(t1));

            long t2 = System.nanoTime();
            String stamp = java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmm").withZone(zone).format(clock.instant());
            List<Restored> tables = new ArrayList<>();
            List<String> droppedKeys = new ArrayList<>();
            Optional<String> recoveredTo;
            String into = request.intoDatabase().orElse(request.database());
            try (PostgresSession copy = PostgresSession.open(scratch.settings(live.user(), request.database()))) {
                recoveredTo = copy.firstValue("SELECT pg_last_xact_replay_timestamp()::text");
                for (Table table : request.tables()) {
                    if (copy.firstValue("SELECT to_regclass(" + literal(quoted(table)) + ")::text").isEmpty()) {
                        throw new RestoreException("table " + table + " did not exist in database " + request.database() + " at "
                                + describe(request.target()) + " (recovered to " + recoveredTo.orElse("?") + "); nothing was loaded");
                    }
                    Table as = request.replace() ? table : new Table(table.schema(), request.as().orElse(
                            request.intoDatabase().isPresent() ? table.name() : shorten(table.name() + "_restored_" + stamp)));
                    long rows = request.schemaOnly() ? 0 : copy.count(table.schema(), table.name());
                    if (!request.replace()) {
                        droppedKeys.addAll(prepare(copy, table, as));
                    }
                    tables.add(new Restored(table, as, into, rows));
                }
            } catch (PostgresException e) {
                throw new RestoreException("the recovered copy cannot be read: " + e.getMessage());
            }
            Path dump = scratch.run().resolve("tables.sql");
            List<String> dumpArguments = new ArrayList<>(List.of("-h", scratch.run().toString(), "-p", Integer.toString(ScratchCluster.PORT),
                    "-U", live.user(), "-d", request.database(), "-f", dump.toString(), "--no-publications", "--no-subscriptions"));
            for (Restored t : tables) {
                dumpArguments.addAll(List.of("-t", quoted(t.as())));
            }
            if (request.schemaOnly()) {
                dumpArguments.add("--schema-only");
            }
            if (request.dataOnly()) {
                dumpArguments.add("--data-only");
            }
            Path dumpLog = scratch.run().resolve("pg_dump.log");
            if (scratch.runProgram(dumpLog, timeout, "pg_dump", dumpArguments.toArray(String[]::new)) != 0) {
                throw new RestoreException("pg_dump of the recovered tables failed: " + tail(dumpLog));
            }
            phases.put("dump", seconds(t2));

            long t3 = System.nanoTime();
            Path load = scratch.run().resolve("load.sql");
            StringBuilder sql = new StringBuilder("-- written by walden restore-table " + id + "\n");
            if (request.replace()) {
                for (Restored t : tables) {
                    sql.append("DROP TABLE ").append(quoted(t.table())).append(";\n");
                }
            }
            sql.append("\\i ").append(dump).append('\n');
            scratch.write(load, sql.toString());
            Path loadLog = scratch.run().resolve("psql.log");
            output.progress("restore-table: loading " + tables.size() + " table" + (tables.size() == 1 ? "" : "s") + " into " + into);
            if (scratch.runProgram(loadLog, timeout, "psql", "-h", live.host(), "-p", Integer.toString(live.port()), "-U", live.user(),
                    "-d", into, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", load.toString()) != 0) {
                throw new RestoreException("loading into database " + into + " failed, and nothing of it stays (one transaction): "
                        + tail(loadLog) + (request.replace() ? ". HINT: without --replace the tables are restored beside the live ones"
                        : ". HINT: --as NAME gives the restored table another name"));
            }
            phases.put("load", seconds(t3));
            phases.put("total", seconds(t0));
            LOG.info("restore-table " + id + ": " + tables.size() + " tables of " + request.database() + " as of " + describe(request.target())
                    + " loaded into " + into + " from backup " + restored.backup().id());
            return new Report(restored.backup().id(), describe(request.target()), recoveredTo, tables, droppedKeys, phases,
                    restored.bytes(), restored.otherDatabaseFiles());
        } finally {
            scratch.remove(warning -> output.err("walden: warning: " + warning + "\n"));
        }
    }

    /**
     * In the recovered copy, gives a table, its indexes and the sequences it owns new names (indexes and sequences are
     * named per schema, and the live ones keep theirs), and drops its foreign keys (a restored copy must not hold up
     * deletes in the live tables it refers to).
     *
     * @return the foreign keys dropped, as TABLE.CONSTRAINT
     */
    private static List<String> prepare(PostgresSession copy, Table table, Table as) throws PostgresException {
        List<String> dropped = new ArrayList<>();
        String keys = copy.firstValue("SELECT coalesce(string_agg(conname, ','), '') FROM pg_constraint WHERE contype = 'f' AND conrelid = "
                + literal(quoted(table)) + "::regclass").orElse("");
        for (String key : keys.split(",")) {
            if (!key.isEmpty()) {
                dropped.add(as + "." + key);
            }
        }
        copy.firstValue("DO $walden$ DECLARE r record; t regclass := " + literal(quoted(table)) + "::regclass; n text := "
                + literal(as.name()) + "; BEGIN"
                + " FOR r IN SELECT i.indexrelid::regclass AS object, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                + " WHERE i.indrelid = t LOOP EXECUTE format('ALTER INDEX %s RENAME TO %I', r.object, left(n || '_' || r.relname, 63)); END LOOP;"
                + " FOR r IN SELECT s.oid::regclass AS object, s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                + " WHERE d.refobjid = t AND d.deptype IN ('a', 'i') LOOP"
                + " EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', r.object, left(n || '_' || r.relname, 63)); END LOOP;"
                + " FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = t AND contype = 'f' LOOP"
                + " EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', t, r.conname); END LOOP;"
                + " EXECUTE format('ALTER TABLE %s RENAME TO %I', t, n); END $walden$");
        return dropped;
    }

    /** The live cluster's template databases and postgres, and {@code database}: what recovery restores. */
    private Set<Long> databasesToKeep(String database) throws RestoreException {
        try (PostgresSession session = PostgresSession.open(live)) {
            Optional<String> oid = session.firstValue("SELECT oid FROM pg_database WHERE datname = " + literal(database));
            if (oid.isEmpty()) {
                throw new RestoreException("the live cluster has no database " + database + ". HINT: --database names the database the"
                        + " table is in");
            }
            Set<Long> keep = new HashSet<>();
            keep.add(Long.parseLong(oid.get()));
            String templates = session.firstValue("SELECT string_agg(oid::text, ',') FROM pg_database WHERE datistemplate"
                    + " OR datname = 'postgres'").orElse("");
            for (String t : templates.split(",")) {
                if (!t.isEmpty()) {
                    keep.add(Long.parseLong(t));
                }
            }
            return keep;
        } catch (PostgresException e) {
            throw new RestoreException("cannot reach the live cluster (it is where the tables are loaded): " + e.getMessage());
        }
    }

    static String quoted(Table table) {
        return "\"" + table.schema().replace("\"", "\"\"") + "\".\"" + table.name().replace("\"", "\"\"") + "\"";
    }

    static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    /** PostgreSQL truncates names to 63 bytes; the default name keeps its timestamp by shortening the original part. */
    static String shorten(String name) {
        byte[] bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length <= 63) {
            return name;
        }
        String suffix = name.substring(name.lastIndexOf("_restored_"));
        String head = name.substring(0, name.lastIndexOf("_restored_"));
        while ((head + suffix).getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 63) {
            head = head.substring(0, head.length() - 1);
        }
        return head + suffix;
    }

    private static String describe(RecoveryTarget target) {
        return target.setting().isEmpty() ? "the end of the archive" : target.setting().replace("recovery_target_", "") + " " + target.value();
    }

    private static double seconds(long since) {
        return Math.round((System.nanoTime() - since) / 1e7) / 100.0;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())).strip();
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static CommandOutput quiet(CommandOutput output) {
        return CommandOutput.progressOnly(output, "restore-table: ");
    }
}
