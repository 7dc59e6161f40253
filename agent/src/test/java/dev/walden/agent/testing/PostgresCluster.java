package dev.walden.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real PostgreSQL 15 cluster for integration tests, run by {@code pg_ctl} as the {@code postgres} user when the
 * tests run as root (initdb refuses root). Listens only on a Unix socket in a test directory.
 */
public final class PostgresCluster implements AutoCloseable {
    public static final Path BIN = PostgresVersion.V15.bin();
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private final PostgresVersion version;
    private final Path bin;
    private final Path dataDirectory;
    private final Path socketDirectory;
    private final int port;
    private boolean running;

    private PostgresCluster(PostgresVersion version, Path dataDirectory, Path socketDirectory, int port) {
        this.version = version;
        this.bin = version.bin();
        this.dataDirectory = dataDirectory;
        this.socketDirectory = socketDirectory;
        this.port = port;
    }

    public PostgresVersion version() {
        return version;
    }

    public static boolean available() {
        return PostgresVersion.V15.available();
    }

    /** A directory the cluster's user owns, for data directories, sockets and logs. */
    public static Path workspace(Path parent) throws IOException {
        Path workspace = Files.createDirectories(parent.resolve("pg"));
        chownToPostgres(workspace);
        return workspace;
    }

    public static PostgresCluster initdb(Path workspace, String name, int port) throws IOException {
        return initdb(PostgresVersion.V15, workspace, name, port);
    }

    public static PostgresCluster initdb(PostgresVersion version, Path workspace, String name, int port) throws IOException {
        Path data = workspace.resolve(name);
        run(Duration.ofMinutes(2), version.bin().resolve("initdb").toString(), "-D", data.toString(), "--auth=trust",
                "--username=postgres", "--no-instructions", "--encoding=UTF8", "--locale=C");
        PostgresCluster cluster = new PostgresCluster(version, data, workspace, port);
        cluster.appendConfig("""
                listen_addresses = ''
                unix_socket_directories = '%s'
                port = %d
                shared_buffers = 32MB
                max_wal_size = 256MB
                logging_collector = off
                """.formatted(workspace, port));
        return cluster;
    }

    /** Takes a base backup with pg_basebackup into {@code workspace/name}, with no WAL: recovery must fetch it all. */
    public Path baseBackup(String name) throws IOException {
        Path target = socketDirectory.resolve(name);
        run(Duration.ofMinutes(5), bin.resolve("pg_basebackup").toString(), "-h", socketDirectory.toString(),
                "-p", Integer.toString(port), "-U", "postgres", "-D", target.toString(), "-X", "none", "-c", "fast");
        return target;
    }

    /** A new cluster from a copy of a base backup, set up for archive recovery on another port. */
    public static PostgresCluster fromBaseBackup(Path backup, Path workspace, String name, int port, String recoveryConfig)
            throws IOException {
        Path data = workspace.resolve(name);
        run(Duration.ofMinutes(2), "cp", "-a", backup.toString(), data.toString());
        PostgresCluster cluster = new PostgresCluster(PostgresVersion.V15, data, workspace, port);
        cluster.appendConfig("port = " + port + "\n" + recoveryConfig);
        run(Duration.ofSeconds(30), "touch", data.resolve("recovery.signal").toString());
        return cluster;
    }

    /** A cluster in a data directory restored by walden restore: its own port, archiving off, its socket in the workspace. */
    public static PostgresCluster restored(Path data, Path workspace, int port) throws IOException {
        return restored(PostgresVersion.V15, data, workspace, port);
    }

    public static PostgresCluster restored(PostgresVersion version, Path data, Path workspace, int port) throws IOException {
        PostgresCluster cluster = new PostgresCluster(version, data, workspace, port);
        cluster.appendConfig("port = " + port + "\narchive_mode = off\n");
        return cluster;
    }

    /**
     * The agent options that point a test agent at this cluster for backups, drills and dumps, with the postgres
     * user allowed on the socket, plus {@code more} as key, value pairs; a mutable map.
     */
    public java.util.Map<String, String> agentOptions(String... more) {
        java.util.Map<String, String> options = new java.util.HashMap<>(java.util.Map.of("allowed-users", "postgres",
                "pg-data", dataDirectory.toString(), "pg-host", socketDirectory.toString(), "pg-port", Integer.toString(port),
                "pg-user", "postgres"));
        for (int i = 0; i + 1 < more.length; i += 2) {
            options.put(more[i], more[i + 1]);
        }
        return options;
    }

    public int port() {
        return port;
    }

    public Path socketDirectory() {
        return socketDirectory;
    }

    /** Runs one of PostgreSQL's client programs (pgbench, pg_dumpall, pg_amcheck) against this cluster, as postgres. */
    public String tool(String program, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(bin.resolve(program).toString(), "-h", socketDirectory.toString(),
                "-p", Integer.toString(port), "-U", "postgres"));
        command.addAll(List.of(arguments));
        return run(Duration.ofMinutes(5), command.toArray(String[]::new));
    }

    /** Starts a client program in the background, as postgres; its output goes to {@code log}. */
    public Process startTool(Path log, String program, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        if (ROOT) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.addAll(List.of(bin.resolve(program).toString(), "-h", socketDirectory.toString(), "-p", Integer.toString(port),
                "-U", "postgres"));
        command.addAll(List.of(arguments));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).directory(Path.of("/").toFile()).start();
    }

    /** A directory owned by the cluster's user, e.g. for a tablespace. */
    public static Path postgresDirectory(Path path) throws IOException {
        Files.createDirectories(path);
        chownToPostgres(path);
        return path;
    }

    /** Waits until the server accepts connections and has left recovery (promoted). */
    public void awaitPromoted(Duration timeout) {
        await("recovery to end and the server to promote", timeout, () -> "f".equals(trySql("SELECT pg_is_in_recovery()")));
    }

    /** Copies a file the way a DBA would, keeping it owned by the cluster's user. */
    public static void copyAsPostgres(Path source, Path target) throws IOException {
        run(Duration.ofSeconds(30), "cp", source.toString(), target.toString());
    }

    /** Where postgresql.conf is: the data directory, unless {@link #moveConfigurationTo} moved it out, as Debian keeps it. */
    private Path configDirectory;

    /**
     * Moves postgresql.conf, pg_hba.conf and pg_ident.conf out of the data directory into {@code directory}, Debian's
     * layout (/etc/postgresql/MAJOR/NAME): postgresql.conf then names the data directory and the other two files, and
     * pg_ctl is pointed at {@code directory}.
     */
    public void moveConfigurationTo(Path directory) throws IOException {
        run(Duration.ofSeconds(30), "mkdir", "-p", directory.resolve("conf.d").toString());
        for (String file : List.of("postgresql.conf", "pg_hba.conf", "pg_ident.conf")) {
            run(Duration.ofSeconds(30), "mv", dataDirectory.resolve(file).toString(), directory.resolve(file).toString());
        }
        configDirectory = directory;
        appendConfig("data_directory = '" + dataDirectory + "'\nhba_file = '" + directory.resolve("pg_hba.conf")
                + "'\nident_file = '" + directory.resolve("pg_ident.conf") + "'\nexternal_pid_file = '" + directory.resolve("main.pid") + "'\ninclude_dir = 'conf.d'");
    }

    public void appendConfig(String lines) throws IOException {
        Path conf = (configDirectory != null ? configDirectory : dataDirectory).resolve("postgresql.conf");
        Files.writeString(conf, "\n" + lines + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    public void start() throws IOException {
        run(Duration.ofMinutes(3), bin.resolve("pg_ctl").toString(), "-D", (configDirectory != null ? configDirectory : dataDirectory).toString(),
                "-l", logFile().toString(), "-w", "-t", "170", "start");
        running = true;
    }

    public void stop() throws IOException {
        if (running) {
            run(Duration.ofMinutes(2), bin.resolve("pg_ctl").toString(), "-D", (configDirectory != null ? configDirectory : dataDirectory).toString(),
                    "-m", "fast", "-w", "stop");
            running = false;
        }
    }

    /** Stops like a power cut (immediate mode): no shutdown checkpoint, no final WAL switch and archiving. */
    public void crash() throws IOException {
        if (running) {
            run(Duration.ofMinutes(2), bin.resolve("pg_ctl").toString(), "-D", dataDirectory.toString(), "-m", "immediate", "-w", "stop");
            running = false;
        }
    }

    /** Runs SQL with psql and returns its unaligned, tuples-only output. */
    public String sql(String query) throws IOException {
        return run(Duration.ofMinutes(1), bin.resolve("psql").toString(), "-h", socketDirectory.toString(), "-p", Integer.toString(port),
                "-U", "postgres", "-d", "postgres", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", query).strip();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public Path logFile() {
        return socketDirectory.resolve(dataDirectory.getFileName() + ".log");
    }

    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Polls until {@code condition} holds; fails with the server log when it does not within {@code timeout}. */
    public void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "\n--- server log ---\n" + logTail());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    /** Like {@link #sql} but answers null instead of failing, for polling while the server may be starting. */
    public String trySql(String query) {
        try {
            return sql(query);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Stops the cluster: fast, and immediate when fast does not finish in 30 s (a failing archive_command keeps a fast
     * shutdown waiting for the archiver), so that a failed test never leaves a server behind or hangs.
     */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        try {
            run(Duration.ofSeconds(40), bin.resolve("pg_ctl").toString(), "-D", dataDirectory.toString(), "-m", "fast", "-w", "-t", "30", "stop");
            running = false;
        } catch (IOException e) {
            try {
                crash();
            } catch (IOException ignored) {
                // best effort in cleanup; the test already reports its own failure
            }
        }
    }

    static void chownToPostgres(Path path) throws IOException {
        if (ROOT) {
            UserPrincipal postgres = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(path, postgres);
        }
    }

    /** Runs a command as the postgres user (directly when not root) and returns its stdout; fails with its output. */
    static String run(Duration timeout, String... command) throws IOException {
        List<String> full = new ArrayList<>();
        if (ROOT) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(command));
        Path output = Files.createTempFile("walden-cmd", ".out");
        try {
            Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(output.toFile())
                    .directory(Path.of("/").toFile()).start();
            boolean done = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            String text = Files.readString(output);
            if (!done) {
                process.destroyForcibly();
                throw new IOException("timed out after " + timeout + ": " + String.join(" ", command) + "\n" + text);
            }
            if (process.exitValue() != 0) {
                throw new IOException("exit " + process.exitValue() + ": " + String.join(" ", command) + "\n" + text);
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
