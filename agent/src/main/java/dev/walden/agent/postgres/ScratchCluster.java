package dev.walden.agent.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A private PostgreSQL server on a restored copy, for a drill or a table restore: its own directory (only its owner
 * may enter), its own socket in that directory and no TCP, archiving off, started with the backup's major's own
 * binaries as the cluster's owner, stopped and removed afterwards. The one place that starts such a server and builds
 * a PostgreSQL command line for it ({@link #command}: pg_amcheck, pg_dump against it).
 */
public final class ScratchCluster implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ScratchCluster.class.getName());
    /** The port in the socket's name; no TCP listener is opened, so it never collides with the live cluster's. */
    public static final int PORT = 5432;

    private final Path run;
    private final Path data;
    private final String owner;
    private final boolean asRoot;
    private Path bin;
    private Process server;

    private ScratchCluster(Path run, String owner, boolean asRoot) {
        this.run = run;
        this.data = run.resolve("data");
        this.owner = owner;
        this.asRoot = asRoot;
    }

    /**
     * Makes {@code root/PREFIX-ID} (or -ID-N when taken), readable by {@code owner} alone.
     *
     * @param liveData the live cluster's data directory: its owner owns the scratch cluster (postgres, under root)
     */
    public static ScratchCluster create(Path root, String prefix, String id, Optional<Path> liveData) throws IOException {
        UserPrincipal owner = Files.getOwner(liveData.filter(Files::isDirectory).orElse(Files.isDirectory(root) ? root : root.getRoot()));
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        if (asRoot && owner.getName().equals("root")) {
            owner = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        }
        Files.createDirectories(root);
        Path run = root.resolve(prefix + "-" + id);
        for (int n = 1; Files.exists(run); n++) {
            run = root.resolve(prefix + "-" + id + "-" + n);
        }
        Files.createDirectory(run, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setOwner(run, owner);
        return new ScratchCluster(run, owner.getName(), asRoot);
    }

    /** The scratch directory: the data directory, the socket, the logs. */
    public Path run() {
        return run;
    }

    /** Where the backup is restored. */
    public Path data() {
        return data;
    }

    public String owner() {
        return owner;
    }

    /**
     * The binaries of the backup's major: {@code pgBin} when set, else the distribution's; empty when they are there and
     * of that major, else what is wrong.
     */
    public Optional<String> useBinaries(Optional<Path> pgBin, int major) throws IOException {
        bin = PostgresBinaries.directory(pgBin, major);
        if (!Files.isExecutable(bin.resolve("postgres"))) {
            return Optional.of(bin.resolve("postgres") + " is not there: the scratch server runs the cluster's own binaries."
                    + " HINT: install postgresql-" + major + ", or set pg-bin");
        }
        return PostgresBinaries.wrongMajor(bin, major);
    }

    /** A command line that runs one of the major's programs as the cluster's owner. */
    public List<String> command(String program, String... arguments) {
        List<String> command = new ArrayList<>();
        if (asRoot) {
            command.addAll(List.of("runuser", "-u", owner, "--"));
        }
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(arguments));
        return command;
    }

    /** A file in the scratch directory, owned by the cluster's owner. */
    public void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        chown(file);
    }

    public void chown(Path file) throws IOException {
        if (asRoot) {
            Files.setOwner(file, file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(owner));
        }
    }

    /**
     * Starts the server on the restored data directory, with everything that matters on the command line, and its own
     * minimal postgresql.conf, pg_hba.conf (its owner over the private socket) and pg_ident.conf.
     *
     * @param name what it is, e.g. {@code walden-drill-ID}: its cluster_name, seen in ps
     */
    public void start(String name, String... settings) throws IOException {
        write(run.resolve("postgresql.conf"), "# written by walden for " + name + "; every setting that matters is on the command line\n");
        write(run.resolve("pg_hba.conf"), "# the socket directory is private to its owner\nlocal all all trust\n");
        write(run.resolve("pg_ident.conf"), "");
        write(run.resolve("postgres.log"), "");
        List<String> command = command("postgres", "-D", data.toString(),
                "-c", "config_file=" + run.resolve("postgresql.conf"),
                "-c", "hba_file=" + run.resolve("pg_hba.conf"),
                "-c", "ident_file=" + run.resolve("pg_ident.conf"),
                "-c", "port=" + PORT, "-c", "listen_addresses=", "-c", "unix_socket_directories=" + run,
                "-c", "unix_socket_permissions=0700", "-c", "archive_mode=off", "-c", "archive_command=",
                "-c", "hot_standby=off", "-c", "shared_buffers=128MB", "-c", "huge_pages=off", "-c", "max_wal_senders=0",
                "-c", "max_replication_slots=0", "-c", "logging_collector=off", "-c", "log_destination=stderr", "-c", "ssl=off",
                "-c", "cluster_name=" + name);
        for (String setting : settings) {
            command.add("-c");
            command.add(setting);
        }
        server = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(run.resolve("postgres.log").toFile()))
                .directory(run.toFile()).start();
    }

    /** How to connect to it, as {@code user}, to {@code database}. */
    public PostgresSettings settings(String user, String database) {
        return new PostgresSettings(Optional.of(data), run.toString(), PORT, user, database);
    }

    /**
     * Waits for recovery to end and the server to accept connections as a primary.
     *
     * @return empty when it did, else why not
     */
    public Optional<String> awaitPromotion(Duration timeout, String user, String database, BooleanSupplier cancelled,
                                           Consumer<String> progress) throws InterruptedException {
        long startedNanos = System.nanoTime();
        long deadline = startedNanos + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                return Optional.of("recovery failed: the restored server stopped (exit " + server.exitValue() + "): " + logTail());
            }
            try (PostgresSession session = PostgresSession.open(settings(user, database))) {
                if ("f".equals(session.firstValue("SELECT pg_is_in_recovery()").orElse(""))) {
                    return Optional.empty();
                }
            } catch (PostgresException e) {
                last = e.getMessage();
            }
            if (cancelled.getAsBoolean()) {
                return Optional.of("cancelled: the client went away during recovery");
            }
            progress.accept("recovering for " + (System.nanoTime() - startedNanos) / 1_000_000_000 + " s");
            Thread.sleep(500);
        }
        return Optional.of("recovery did not finish within " + timeout.toSeconds() + " s; last: " + last + "; server log: " + logTail());
    }

    /** The server log's last errors (or last lines), for a message. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(run.resolve("postgres.log"));
            List<String> important = lines.stream().filter(l -> l.contains("FATAL") || l.contains("PANIC") || l.contains("ERROR")).toList();
            List<String> tail = important.isEmpty() ? lines.subList(Math.max(0, lines.size() - 3), lines.size())
                    : important.subList(Math.max(0, important.size() - 3), important.size());
            return String.join(" | ", tail);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Runs one of the major's programs as the cluster's owner in the scratch directory; its output goes to {@code log}. */
    public int runProgram(Path log, Duration timeout, String program, String... arguments) throws IOException, InterruptedException {
        write(log, "");
        Process process = new ProcessBuilder(command(program, arguments)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).directory(run.toFile()).start();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            throw new IOException(program + " did not finish within " + timeout.toSeconds() + " s");
        }
        return process.exitValue();
    }

    /** Stops the server (fast), and kills it when it does not go. */
    public void stop() {
        if (server == null) {
            return;
        }
        try {
            if (server.isAlive()) {
                Process stop = new ProcessBuilder(command("pg_ctl", "-D", data.toString(), "stop", "-m", "fast", "-w", "-t", "60"))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).directory(run.toFile()).start();
                stop.waitFor(90, TimeUnit.SECONDS);
            }
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.descendants().forEach(ProcessHandle::destroyForcibly);
                server.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
        }
    }

    /** Stops the server and removes the scratch directory; told of a directory that could not be removed. */
    public void remove(Consumer<String> warn) {
        stop();
        stopStragglers(data);
        try (Stream<Path> paths = Files.walk(run)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            warn.accept("could not remove the scratch directory " + run + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        stop();
        stopStragglers(data);
    }

    /**
     * Ends what is left of a scratch server whose postmaster died (killed, OOM): its children outlive it for a while,
     * reparented, and would write into a directory being removed. They are found by their working directory, which
     * PostgreSQL sets to the data directory.
     */
    public static void stopStragglers(Path data) {
        Path real;
        try {
            real = data.toRealPath();
        } catch (IOException gone) {
            return;
        }
        List<ProcessHandle> left = new ArrayList<>();
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : (Iterable<Path>) processes::iterator) {
                String name = process.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    if (Files.readSymbolicLink(process.resolve("cwd")).equals(real)) {
                        ProcessHandle.of(Long.parseLong(name)).ifPresent(left::add);
                    }
                } catch (IOException | UnsupportedOperationException | SecurityException notOurs) {
                    // another user's process, or gone meanwhile
                }
            }
        } catch (IOException | java.io.UncheckedIOException noProc) {
            return;
        }
        left.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle process : left) {
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                LOG.warning("process " + process.pid() + " of a scratch server did not exit: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
