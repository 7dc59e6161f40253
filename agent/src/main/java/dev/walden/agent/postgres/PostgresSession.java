package dev.walden.agent.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * One JDBC session with the cluster, through pgJDBC; over the Unix socket through junixsocket's socket factory, so
 * that peer authentication (Debian's default) works. The one place in the agent that speaks SQL.
 */
public final class PostgresSession implements AutoCloseable {
    private final Connection connection;
    private final PostgresSettings settings;

    private PostgresSession(Connection connection, PostgresSettings settings) {
        this.connection = connection;
        this.settings = settings;  // for messages that name the role
    }

    /** Opens a session, or says why the cluster cannot be reached and what to check. */
    public static PostgresSession open(PostgresSettings settings) throws PostgresException {
        Properties properties = new Properties();
        properties.setProperty("user", settings.user());
        properties.setProperty("ApplicationName", "walden-agent");
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("tcpKeepAlive", "true");
        String url;
        if (settings.unixSocket()) {
            url = "jdbc:postgresql://localhost:" + settings.port() + "/" + settings.database();
            properties.setProperty("socketFactory", org.newsclub.net.unix.AFUNIXSocketFactory.FactoryArg.class.getName());
            properties.setProperty("socketFactoryArg", settings.describe());
            properties.setProperty("sslmode", "disable");
        } else {
            url = "jdbc:postgresql://" + settings.host() + ":" + settings.port() + "/" + settings.database();
        }
        try {
            Connection connection = new org.postgresql.Driver().connect(url, properties);
            if (connection == null) {
                throw new PostgresException("pgJDBC refused the connection URL " + url);
            }
            try (Statement statement = connection.createStatement()) {
                // A backup session sits idle for hours while files are copied: no server-side timeout may end it.
                statement.execute("SET statement_timeout = 0");
                statement.execute("SET idle_in_transaction_session_timeout = 0");
                statement.execute("SET idle_session_timeout = 0");
            } catch (SQLException e) {
                // idle_session_timeout is new in 14; older servers have none to disable.
            }
            return new PostgresSession(connection, settings);
        } catch (SQLException e) {
            throw new PostgresException("cannot connect to PostgreSQL at " + settings.describe() + " as user "
                    + settings.user() + " (database " + settings.database() + "): " + e.getMessage()
                    + ". HINT: is the cluster running? Check pg-host, pg-port, pg-user and pg_hba.conf", e);
        }
    }

    /** Reads what the backup needs to know and check about the cluster. */
    public ClusterFacts facts() throws PostgresException {
        String query = """
                SELECT current_setting('data_directory'),
                       (SELECT system_identifier FROM pg_control_system()),
                       current_setting('server_version_num')::int,
                       current_setting('wal_level'),
                       current_setting('archive_mode'),
                       current_setting('archive_command'),
                       (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'),
                       pg_is_in_recovery(),
                       CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint())::bigint
                            -- a primary's current timeline: after a promotion the checkpoint's lags until the next one
                            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int::bigint END,
                       CASE WHEN current_setting('server_version_num')::int >= 150000
                            THEN has_function_privilege('pg_backup_start(text, boolean)', 'EXECUTE')
                            ELSE has_function_privilege('pg_start_backup(text, boolean, boolean)', 'EXECUTE') END
                """;
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(query)) {
            row.next();
            List<ClusterFacts.Tablespace> tablespaces = tablespaces();
            return new ClusterFacts(row.getString(1), row.getLong(2), row.getInt(3), row.getString(4), row.getString(5),
                    row.getString(6), row.getLong(7), row.getBoolean(8), row.getLong(9), row.getBoolean(10), tablespaces);
        } catch (SQLException e) {
            throw new PostgresException("cannot read the cluster's settings: " + e.getMessage()
                    + ". HINT: the role " + settings.user() + " needs to read data_directory (a superuser, or a member of"
                    + " pg_read_all_settings) and to run pg_backup_start (GRANT EXECUTE, or a superuser)", e);
        }
    }

    private List<ClusterFacts.Tablespace> tablespaces() throws SQLException {
        List<ClusterFacts.Tablespace> tablespaces = new ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT oid, spcname, pg_tablespace_location(oid) FROM pg_tablespace"
                     + " WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid")) {
            while (rows.next()) {
                tablespaces.add(new ClusterFacts.Tablespace(rows.getLong(1), rows.getString(2), rows.getString(3)));
            }
        }
        return tablespaces;
    }

    /** Starts a non-exclusive backup on this session and returns its start LSN. */
    public String backupStart(String label, PostgresMajor major) throws PostgresException {
        try (PreparedStatement statement = connection.prepareStatement(major.backupStart())) {
            statement.setString(1, label);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getString(1);
            }
        } catch (SQLException e) {
            throw new PostgresException("pg_backup_start failed: " + e.getMessage(), e);
        }
    }

    /** What {@code pg_backup_stop} returns: the stop LSN and the two files, exactly as PostgreSQL wrote them. */
    public record BackupStop(String stopLsn, String backupLabel, String tablespaceMap) {}

    /**
     * Ends the backup without waiting for archiving: the agent waits for the WAL itself, in its own repository, with
     * its own timeout and a message that names the missing file (pg_backup_stop's wait has no timeout).
     */
    public BackupStop backupStop(PostgresMajor major) throws PostgresException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(major.backupStop())) {
            row.next();
            return new BackupStop(row.getString(1), row.getString(2), row.getString(3) == null ? "" : row.getString(3));
        } catch (SQLException e) {
            throw new PostgresException("pg_backup_stop failed: " + e.getMessage() + "; the backup is incomplete and will never be"
                    + " offered for restore. HINT: did the cluster stop or restart during the backup?", e);
        }
    }

    /** Which cluster this is and its version, readable by any role (a dump needs no more). */
    public record Identity(long systemIdentifier, int versionNumber) {}

    public Identity identity() throws PostgresException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(
                "SELECT system_identifier, current_setting('server_version_num')::int FROM pg_control_system()")) {
            row.next();
            return new Identity(row.getLong(1), row.getInt(2));
        } catch (SQLException e) {
            throw new PostgresException("cannot read the cluster's system identifier: " + e.getMessage(), e);
        }
    }

    /** The databases one can connect to, templates excepted. */
    public java.util.List<String> databases() throws PostgresException {
        java.util.List<String> names = new java.util.ArrayList<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
            return names;
        } catch (SQLException e) {
            throw new PostgresException("cannot list the databases: " + e.getMessage(), e);
        }
    }

    /** A table and its exact row count. */
    public record TableRows(String database, String schema, String table, long rows) {}

    /**
     * The {@code limit} largest ordinary tables of this session's database by size on disk among those of at most
     * {@code maxBytes}, with exact row counts.
     */
    public java.util.List<TableRows> largestTables(int limit, long maxBytes) throws PostgresException {
        java.util.List<String[]> tables = new java.util.ArrayList<>();
        String sql = "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'm') AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                + " AND n.nspname NOT LIKE 'pg_toast%' AND pg_relation_size(c.oid) <= " + maxBytes
                + " ORDER BY pg_relation_size(c.oid) DESC, 1, 2 LIMIT " + limit;
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                tables.add(new String[] {rows.getString(1), rows.getString(2)});
            }
        } catch (SQLException e) {
            throw new PostgresException("cannot list the largest tables of " + settings.database() + ": " + e.getMessage(), e);
        }
        java.util.List<TableRows> counted = new java.util.ArrayList<>();
        for (String[] t : tables) {
            counted.add(new TableRows(settings.database(), t[0], t[1], count(t[0], t[1])));
        }
        return counted;
    }

    /** The exact number of rows of a table. */
    public long count(String schema, String table) throws PostgresException {
        try (var statement = connection.prepareStatement("SELECT count(*) FROM " + quote(schema) + "." + quote(table));
             ResultSet row = statement.executeQuery()) {
            row.next();
            return row.getLong(1);
        } catch (SQLException e) {
            throw new PostgresException("cannot count " + schema + "." + table + ": " + e.getMessage(), e);
        }
    }

    /** Runs a query and returns the first column of its first row as text (empty when it returns no row). */
    public java.util.Optional<String> firstValue(String sql) throws PostgresException {
        try (Statement statement = connection.createStatement()) {
            if (!statement.execute(sql)) {
                return java.util.Optional.empty();
            }
            try (ResultSet row = statement.getResultSet()) {
                return row.next() ? java.util.Optional.ofNullable(row.getString(1)) : java.util.Optional.empty();
            }
        } catch (SQLException e) {
            throw new PostgresException(e.getMessage(), e);
        }
    }

    /** A configuration file the server reads: config_file, hba_file, ident_file, or a file one of them includes. */
    public record ConfigFileRef(String role, String path) {}

    /**
     * Every configuration file the server has read: the three it names, and each file that any setting in effect came
     * from (pg_settings.sourcefile: postgresql.conf's includes). Paths as the server has them, absolute.
     */
    public java.util.List<ConfigFileRef> configFiles() throws PostgresException {
        java.util.List<ConfigFileRef> files = new java.util.ArrayList<>();
        String sql = "SELECT name, setting FROM pg_settings WHERE name IN ('config_file', 'hba_file', 'ident_file')"
                + " UNION ALL SELECT DISTINCT 'include', sourcefile FROM pg_settings WHERE sourcefile IS NOT NULL ORDER BY 1, 2";
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            while (rows.next()) {
                if (rows.getString(2) != null && !rows.getString(2).isEmpty()) {
                    files.add(new ConfigFileRef(rows.getString(1), rows.getString(2)));
                }
            }
            return files;
        } catch (SQLException e) {
            throw new PostgresException("cannot list the server's configuration files: " + e.getMessage(), e);
        }
    }

    /** A file's text as the server reads it (pg_read_file: a superuser, or a member of pg_read_server_files). */
    public String readServerFile(String path) throws PostgresException {
        try (var statement = connection.prepareStatement("SELECT pg_read_file(?)")) {
            statement.setString(1, path);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getString(1);
            }
        } catch (SQLException e) {
            throw new PostgresException("cannot read " + path + " through the server: " + e.getMessage(), e);
        }
    }

    /** One WAL summary file the server keeps (PostgreSQL 17 and later): blocks modified in {@code [start, end)}. */
    public record WalSummary(long timeline, String start, String end) {}

    /**
     * Whether the server summarizes WAL ({@code summarize_wal = on}, PostgreSQL 17 and later), and how far: the LSN up
     * to which summaries are written; empty when it does not.
     */
    public java.util.Optional<String> summarizedLsn() throws PostgresException {
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT current_setting('summarize_wal', true)")) {
            if (!row.next() || !"on".equals(row.getString(1))) {
                return java.util.Optional.empty();
            }
        } catch (SQLException e) {
            throw new PostgresException("cannot read summarize_wal: " + e.getMessage(), e);
        }
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT summarized_lsn FROM pg_get_wal_summarizer_state()")) {
            return row.next() ? java.util.Optional.ofNullable(row.getString(1)) : java.util.Optional.empty();
        } catch (SQLException e) {
            throw new PostgresException("cannot read the WAL summarizer's state: " + e.getMessage(), e);
        }
    }

    /** The WAL summaries of {@code timeline} that overlap {@code [from, to)}, by start. */
    public java.util.List<WalSummary> walSummaries(long timeline, String from, String to) throws PostgresException {
        String query = "SELECT tli, start_lsn, end_lsn FROM pg_available_wal_summaries()"
                + " WHERE tli = ? AND end_lsn > ?::pg_lsn AND start_lsn < ?::pg_lsn ORDER BY start_lsn";
        try (PreparedStatement statement = connection.prepareStatement(query)) {
            statement.setLong(1, timeline);
            statement.setString(2, from);
            statement.setString(3, to);
            java.util.List<WalSummary> summaries = new java.util.ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    summaries.add(new WalSummary(rows.getLong(1), rows.getString(2), rows.getString(3)));
                }
            }
            return summaries;
        } catch (SQLException e) {
            throw new PostgresException("cannot list the WAL summaries: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the blocks the WAL summaries of {@code timeline} overlapping {@code [from, to)} name as modified, as text
     * lines {@code PATH TAB BLOCK TAB LIMIT} sorted by path (bytewise) and block, where PATH is the relation segment's
     * path in the data directory, BLOCK the index of the {@code granule}-byte block within that file, and LIMIT
     * {@code t} when the relation fork was truncated to that block ({@code is_limit_block}). The server sorts; the
     * agent streams the result to {@code out} and holds none of it.
     *
     * @param tablespaceDirectory the catalog version directory under each tablespace, e.g. PG_17_202406281
     */
    public void exportModifiedBlocks(long timeline, String from, String to, String tablespaceDirectory, int granule,
                                     java.io.OutputStream out) throws PostgresException {
        String directory = tablespaceDirectory.replace("'", "''");
        String query = """
                COPY (
                  WITH segment AS (SELECT (SELECT setting::bigint FROM pg_settings WHERE name = 'segment_size') AS blocks,
                                          current_setting('block_size')::bigint AS page),
                  changed AS (
                    SELECT c.reltablespace AS ts, c.reldatabase AS db, c.relfilenode AS node, c.relforknumber AS fork,
                           c.relblocknumber AS page_number, c.is_limit_block AS is_limit
                      FROM pg_available_wal_summaries() s, LATERAL pg_wal_summary_contents(s.tli, s.start_lsn, s.end_lsn) c
                     WHERE s.tli = %d AND s.end_lsn > '%s'::pg_lsn AND s.start_lsn < '%s'::pg_lsn)
                  SELECT path, block, is_limit FROM (
                  SELECT CASE ts WHEN 1663 THEN 'base/' || db || '/' WHEN 1664 THEN 'global/'
                                 ELSE 'pg_tblspc/' || ts || '/%s/' || db || '/' END
                         || node || CASE fork WHEN 0 THEN '' WHEN 1 THEN '_fsm' WHEN 2 THEN '_vm' ELSE '_init' END
                         || CASE WHEN page_number / segment.blocks > 0 THEN '.' || (page_number / segment.blocks) ELSE '' END AS path,
                         (page_number %% segment.blocks) * segment.page / %d AS block,
                         bool_or(is_limit) AS is_limit
                    FROM changed, segment
                   GROUP BY 1, 2) blocks
                   ORDER BY path COLLATE "C", block) TO STDOUT
                """.formatted(timeline, checkedLsn(from), checkedLsn(to), directory, granule);
        try {
            new org.postgresql.copy.CopyManager(connection.unwrap(org.postgresql.core.BaseConnection.class)).copyOut(query, out);
        } catch (SQLException | java.io.IOException e) {
            throw new PostgresException("cannot read the WAL summaries: " + e.getMessage(), e);
        }
    }

    /** An LSN as text, checked, for a statement that cannot take parameters (COPY). */
    private static String checkedLsn(String lsn) throws PostgresException {
        if (!lsn.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")) {
            throw new PostgresException("not an LSN: " + lsn);
        }
        return lsn;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /** Whether the session still answers: a backup checks it between files, so a stopped database ends it early. */
    public boolean alive() {
        try {
            return connection.isValid(10);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Closing the session aborts a backup still running on it, as PostgreSQL does for any ended session. */
    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // the session is gone either way
        }
    }
}
