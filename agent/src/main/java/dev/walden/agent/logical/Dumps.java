package dev.walden.agent.logical;

import dev.walden.agent.command.CommandOutput;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.pipeline.ObjectSource;
import dev.walden.agent.postgres.PostgresException;
import dev.walden.agent.postgres.PostgresSession;
import dev.walden.agent.postgres.PostgresSettings;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.repository.WrongClusterException;
import dev.walden.agent.retention.RetentionPolicy;
import dev.walden.agent.retention.RetentionRules;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Logical backups (docs/runbook.md, "Logical dumps"): {@code pg_dump -Fc -Z 0} of each database, streamed from its
 * standard output through compress → encrypt → store (no temporary file, bounded memory, multipart on S3), then read
 * back into {@code pg_restore --list}; a dump is listed only when pg_dump exited 0, the object is durable and
 * pg_restore read it. Plus {@code pg_dumpall --globals-only} once per run. Restores stream into pg_restore, or for
 * {@code --jobs} through a spool file that is removed afterwards.
 */
public final class Dumps {
    private static final Logger LOG = Logger.getLogger(Dumps.class.getName());
    static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final int STDERR_KEPT = 16 << 10;

    private final Repository repository;
    private final BackupObjects objects;
    private final String encryptionMode;
    private final PostgresSettings postgres;
    private final Optional<Path> pgBin;
    private final List<String> exclude;
    private final Path spool;
    private final RetentionPolicy policy;
    private final Clock clock;
    private final Consumer<DumpRecord> listener;
    private final AtomicBoolean running = new AtomicBoolean();

    public Dumps(Repository repository, BackupObjects objects, String encryptionMode, PostgresSettings postgres, Optional<Path> pgBin,
                 List<String> exclude, Path spool, RetentionPolicy policy, Clock clock, Consumer<DumpRecord> listener) {
        this.repository = repository;
        this.objects = objects;
        this.encryptionMode = encryptionMode;
        this.postgres = postgres;
        this.pgBin = pgBin;
        this.exclude = List.copyOf(exclude);
        this.spool = spool;
        this.policy = policy;
        this.clock = clock;
        this.listener = listener;
    }

    public RetentionPolicy policy() {
        return policy;
    }

    /** The catalog, or empty when the repository belongs to no cluster yet. */
    public Optional<DumpCatalog> catalog() throws IOException, RepositoryFormatException {
        var system = repository.systemIdentifier();
        return system.isEmpty() ? Optional.empty() : Optional.of(new DumpCatalog(objects, system.getAsLong()));
    }

    /** What a run stored, and what failed (each with pg_dump's own words). */
    public record RunOutcome(List<DumpRecord> stored, List<String> failures) {}

    /** Dumps the named databases, or every connectable one but templates and {@code dump-exclude}, and the globals. */
    public RunOutcome take(List<String> named, CommandOutput output) throws DumpException, IOException {
        if (!running.compareAndSet(false, true)) {
            throw new DumpException("a dump is already running in this agent. HINT: wait for it (walden dump list)");
        }
        try (PostgresSession session = PostgresSession.open(postgres)) {
            PostgresSession.Identity facts = session.identity();
            repository.claim(facts.systemIdentifier(), encryptionMode);
            DumpCatalog catalog = new DumpCatalog(objects, facts.systemIdentifier());
            DumpCatalog.Listing before = catalog.list();
            for (String leftover : before.incomplete()) {
                LOG.info("removing what the interrupted dump " + leftover + " left");
                catalog.delete(leftover);
            }
            List<String> databases = named.isEmpty()
                    ? session.databases().stream().filter(d -> !exclude.contains(d)).toList() : named;
            dev.walden.agent.postgres.ClientPrograms bin = bin(facts.versionNumber());
            // The run's start to the second; a later second if a run already has that one, so ids stay unique and sorted.
            Instant at = clock.instant();
            String run = RUN_TIME.format(at);
            while (taken(before, run)) {
                at = at.plusSeconds(1);
                run = RUN_TIME.format(at);
            }
            List<DumpRecord> stored = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (String database : databases) {
                if (output.cancelled()) {
                    failures.add("cancelled before " + database);
                    break;
                }
                output.progress("dump: " + database);
                try {
                    stored.add(dump(catalog, bin, run, Optional.of(database), facts.versionNumber()));
                } catch (DumpException e) {
                    failures.add(e.getMessage());
                }
            }
            try {
                output.progress("dump: globals (roles, tablespaces)");
                stored.add(dump(catalog, bin, run, Optional.empty(), facts.versionNumber()));
            } catch (DumpException e) {
                failures.add(e.getMessage());
            }
            stored.forEach(listener);
            return new RunOutcome(stored, failures);
        } catch (PostgresException | RepositoryFormatException | CorruptObjectException e) {
            throw new DumpException(e.getMessage());
        } catch (WrongClusterException e) {
            throw new DumpException(e.getMessage());
        } finally {
            running.set(false);
        }
    }

    private static boolean taken(DumpCatalog.Listing listing, String run) {
        return listing.complete().stream().anyMatch(d -> d.run().equals(run))
                || listing.incomplete().stream().anyMatch(id -> id.startsWith(run + "-"));
    }

    private dev.walden.agent.postgres.ClientPrograms bin(int versionNumber) {
        return dev.walden.agent.postgres.ClientPrograms.of(pgBin, versionNumber / 10000);
    }

    private DumpRecord dump(DumpCatalog catalog, dev.walden.agent.postgres.ClientPrograms bin, String run, Optional<String> database,
                            int versionNumber) throws DumpException, IOException {
        String id = DumpCatalog.id(run, database);
        ProcessBuilder command = database.isPresent()
                ? bin.against(postgres, "pg_dump", List.of("--format=custom", "--compress=0", "--dbname=" + database.get()))
                : bin.against(postgres, "pg_dumpall", List.of("--globals-only", "--database=" + postgres.database()));
        String what = database.map(d -> "pg_dump of database " + d).orElse("pg_dumpall --globals-only");
        Instant started = clock.instant();
        Process process = command.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        Stderr stderr = Stderr.collect(process);
        long[] produced = {0};
        BackupObjects.Stored stored;
        try (InputStream out = process.getInputStream()) {
            byte[] chunk = new byte[64 << 10];
            ObjectSource source = buffer -> {
                int read = out.read(chunk, 0, Math.min(chunk.length, buffer.remaining()));
                if (read < 0) {
                    return false;
                }
                buffer.put(chunk, 0, read);
                produced[0] += read;
                return true;
            };
            stored = objects.write(catalog.dataKey(id), DumpCatalog.dataName(id), ObjectKind.DUMP_DATA, source);
        } catch (IOException e) {
            process.destroyForcibly();
            catalog.delete(id);
            throw new DumpException(what + " could not be stored: " + e.getMessage() + "; nothing is listed for it");
        }
        int exit = await(process);
        if (exit != 0) {
            catalog.delete(id);
            throw new DumpException(what + " failed (exit " + exit + "): " + stderr.text().strip() + "; nothing is listed for it");
        }
        OptionalLong toc = OptionalLong.empty();
        if (database.isPresent()) {
            toc = OptionalLong.of(tableOfContents(catalog, bin, id, what));
        }
        DumpRecord record = new DumpRecord(id, run, database, database.isPresent() ? "custom" : "sql", started, clock.instant(), produced[0],
                stored.storedBytes(), toc, versionNumber);
        catalog.commit(record);
        LOG.info("dump " + id + " complete: " + produced[0] + " bytes from " + what + ", " + stored.storedBytes() + " stored"
                + (toc.isPresent() ? ", " + toc.getAsLong() + " TOC entries" : ""));
        return record;
    }

    /**
     * pg_restore restores nothing, and exits 0, for a --table or --schema the dump does not hold: checked here first
     * against the dump's table of contents, so a misspelt name is an error that names what the dump has.
     */
    private void requireNamed(DumpCatalog catalog, dev.walden.agent.postgres.ClientPrograms bin, DumpRecord dump, RestoreRequest request) throws DumpException, IOException {
        Process list = bin.alone("pg_restore", List.of("--list")).start();
        Stderr stderr = Stderr.collect(list);
        Thread feed = Thread.ofPlatform().name("walden-dump-names").daemon().start(() -> {
            try (OutputStream in = list.getOutputStream()) {
                objects.read(catalog.dataKey(dump.id()), DumpCatalog.dataName(dump.id()), ObjectKind.DUMP_DATA, Long.MAX_VALUE,
                        Channels.newChannel(in));
            } catch (Exception e) {
                // pg_restore --list stops reading after the table of contents: a broken pipe here is expected
            }
        });
        java.util.Set<String> relations = new java.util.TreeSet<>();
        java.util.Set<String> schemas = new java.util.TreeSet<>();
        java.util.regex.Pattern entry = java.util.regex.Pattern.compile(
                "^\\d+; \\d+ \\d+ (TABLE|VIEW|MATERIALIZED VIEW|SEQUENCE|FOREIGN TABLE|SCHEMA) (\\S+) (\\S+) .*$");
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(list.getInputStream())).lines()) {
            lines.forEach(line -> {
                java.util.regex.Matcher m = entry.matcher(line);
                if (m.matches()) {
                    if (m.group(1).equals("SCHEMA")) {
                        schemas.add(m.group(3));
                    } else {
                        relations.add(m.group(3));
                        schemas.add(m.group(2));
                    }
                }
            });
        }
        int exit = await(list);
        feed.interrupt();
        if (exit != 0) {
            throw new DumpException("pg_restore --list could not read dump " + dump.id() + " (exit " + exit + "): " + stderr.text().strip());
        }
        List<String> missing = new ArrayList<>();
        request.tables().stream().filter(t -> !relations.contains(t)).forEach(t -> missing.add("table " + t));
        request.schemas().stream().filter(sc -> !schemas.contains(sc)).forEach(sc -> missing.add("schema " + sc));
        if (!missing.isEmpty()) {
            throw new DumpException("dump " + dump.id() + " (database " + dump.subject() + ") holds no " + String.join(", no ", missing)
                    + "; nothing was restored. HINT: it has " + (relations.isEmpty() ? "no tables" : "tables "
                    + String.join(", ", relations.stream().limit(20).toList()) + (relations.size() > 20 ? ", ..." : ""))
                    + "; pg_restore --list on the file from walden dump get shows everything");
        }
    }

    /** Streams the stored dump back into {@code pg_restore --list}; returns its entries, or throws and deletes the dump. */
    private long tableOfContents(DumpCatalog catalog, dev.walden.agent.postgres.ClientPrograms bin, String id, String what) throws DumpException, IOException {
        Process list = bin.alone("pg_restore", List.of("--list")).start();
        Stderr stderr = Stderr.collect(list);
        AtomicReference<Exception> feedFailure = new AtomicReference<>();
        Thread feed = Thread.ofPlatform().name("walden-dump-list").daemon().start(() -> {
            try (OutputStream in = list.getOutputStream()) {
                objects.read(catalog.dataKey(id), DumpCatalog.dataName(id), ObjectKind.DUMP_DATA, Long.MAX_VALUE, Channels.newChannel(in));
            } catch (Exception e) {
                feedFailure.set(e);
            }
        });
        long entries;
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(list.getInputStream())).lines()) {
            entries = lines.filter(l -> !l.isBlank() && !l.startsWith(";")).count();
        }
        int exit = await(list);
        try {
            feed.join(TimeUnit.MINUTES.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (exit != 0 || (feedFailure.get() instanceof CorruptObjectException)) {
            catalog.delete(id);
            throw new DumpException(what + " was stored but pg_restore --list could not read it back (exit " + exit + "): "
                    + (feedFailure.get() != null ? feedFailure.get().getMessage() + "; " : "") + stderr.text().strip()
                    + "; nothing is listed for it");
        }
        return entries;
    }

    /** What {@code walden dump restore} was asked. */
    public record RestoreRequest(String id, String database, boolean create, List<String> tables, List<String> schemas, int jobs,
                                 boolean clean, boolean ifExists, boolean noOwner, boolean noPrivileges) {}

    /** Restores a dump into {@code database} of the cluster; returns pg_restore's (or psql's) warnings, if any. */
    public String restore(RestoreRequest request, CommandOutput output) throws DumpException, IOException {
        return restore(request, postgres, output);
    }

    /** As {@link #restore(RestoreRequest, CommandOutput)}, into another server (a drill's). */
    public String restore(RestoreRequest request, PostgresSettings target, CommandOutput output) throws DumpException, IOException {
        DumpCatalog catalog = catalogOrRefuse();
        DumpRecord dump = find(catalog, request.id());
        dev.walden.agent.postgres.ClientPrograms bin = bin(dump.pgVersion());
        List<String> command = new ArrayList<>();
        if (dump.format().equals("sql")) {
            command.addAll(List.of("--quiet", "--dbname=" + request.database()));
        } else {
            command.add("--dbname=" + request.database());
            request.tables().forEach(t -> command.add("--table=" + t));
            request.schemas().forEach(s -> command.add("--schema=" + s));
            if (request.clean()) {
                command.add("--clean");
            }
            if (request.ifExists()) {
                command.add("--if-exists");
            }
            if (request.noOwner()) {
                command.add("--no-owner");
            }
            if (request.noPrivileges()) {
                command.add("--no-privileges");
            }
            if (request.jobs() > 1) {
                command.add("--jobs=" + request.jobs());
            }
        }
        Path spooled = null;
        try {
            // Nothing reaches pg_restore, nor is a database created, before the whole dump has been read and found
            // intact: a damaged dump must not leave a half-restored database behind.
            if (request.jobs() > 1) {
                // Parallel restore seeks in the file: fetch it first, verified, and remove it afterwards.
                Files.createDirectories(spool);
                spooled = spool.resolve("dump-" + dump.id() + "-" + ProcessHandle.current().pid() + ".restore");
                output.progress("dump restore: fetching " + dump.id() + " to " + spooled + " for --jobs " + request.jobs());
                fetchTo(catalog, dump, spooled, false);
                command.add(spooled.toString());
            } else {
                output.progress("dump restore: verifying " + dump.id());
                catalog.verifyData(dump.id());
            }
            if (dump.format().equals("custom") && (!request.tables().isEmpty() || !request.schemas().isEmpty())) {
                requireNamed(catalog, bin, dump, request);
            }
            if (request.create()) {
                try (PostgresSession session = PostgresSession.open(target)) {
                    session.firstValue("CREATE DATABASE \"" + request.database().replace("\"", "\"\"") + "\"");
                } catch (PostgresException e) {
                    throw new DumpException("cannot create database " + request.database() + ": " + e.getMessage()
                            + (e.getMessage().contains("already exists") ? ". HINT: --create makes a new database; drop it or restore without --create" : ""));
                }
            }
            output.progress("dump restore: " + dump.id() + " into database " + request.database());
            Process process = bin.against(target, dump.format().equals("sql") ? "psql" : "pg_restore", command).start();
            Stderr stderr = Stderr.collect(process);
            Thread.ofPlatform().daemon().start(() -> {
                try (InputStream discard = process.getInputStream()) {
                    discard.transferTo(OutputStream.nullOutputStream());
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            AtomicReference<Exception> feedFailure = new AtomicReference<>();
            if (spooled == null) {
                try (OutputStream in = process.getOutputStream()) {
                    objects.read(catalog.dataKey(dump.id()), DumpCatalog.dataName(dump.id()), ObjectKind.DUMP_DATA, Long.MAX_VALUE,
                            Channels.newChannel(in));
                } catch (CorruptObjectException e) {
                    process.destroyForcibly();
                    throw new DumpException("dump " + dump.id() + " is damaged and was refused: " + e.getMessage()
                            + "; pg_restore was stopped. HINT: restore an older dump (walden dump list)");
                } catch (IOException e) {
                    feedFailure.set(e);
                }
            } else {
                process.getOutputStream().close();
            }
            int exit = await(process);
            // pg_restore may stop reading once it has what it needs (--table): a broken pipe then is not a failure.
            if (exit != 0) {
                throw new DumpException((dump.format().equals("sql") ? "psql" : "pg_restore") + " into " + request.database()
                        + " failed (exit " + exit + "): " + stderr.text().strip()
                        + (feedFailure.get() != null ? "; reading the dump: " + feedFailure.get().getMessage() : ""));
            }
            return stderr.text().strip();
        } catch (CorruptObjectException e) {
            throw new DumpException("dump " + dump.id() + " is damaged and was refused: " + e.getMessage()
                    + "; nothing was restored" + (request.create() ? " and no database created" : "")
                    + ". HINT: restore an older dump (walden dump list); walden verify names every damaged object");
        } finally {
            if (spooled != null) {
                Files.deleteIfExists(spooled);
            }
        }
    }


    /** Writes the plain dump file (custom format, or SQL for globals) to {@code target}, whole or not at all. */
    public DumpRecord get(String id, Path target) throws DumpException, IOException {
        DumpCatalog catalog = catalogOrRefuse();
        DumpRecord dump = find(catalog, id);
        if (Files.exists(target)) {
            throw new DumpException(target + " already exists; walden dump get never overwrites. HINT: choose another --to");
        }
        try {
            fetchTo(catalog, dump, target, true);
        } catch (CorruptObjectException e) {
            throw new DumpException("dump " + id + " is damaged and was refused: " + e.getMessage() + "; nothing was written");
        }
        return dump;
    }

    /** @param durable fsync before the rename: for a file handed to the DBA, not for a spool file removed after use */
    private void fetchTo(DumpCatalog catalog, DumpRecord dump, Path target, boolean durable) throws IOException, CorruptObjectException {
        Path temp = target.resolveSibling("." + target.getFileName() + ".walden-" + Long.toHexString(System.nanoTime()));
        // 0600 from the start: a whole database's dump is never readable by other local users, not even for a moment.
        try (FileChannel out = FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))) {
            objects.read(catalog.dataKey(dump.id()), DumpCatalog.dataName(dump.id()), ObjectKind.DUMP_DATA, Long.MAX_VALUE, out);
            if (durable) {
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private DumpCatalog catalogOrRefuse() throws DumpException, IOException {
        try {
            return catalog().orElseThrow(() -> new DumpException("the repository is empty: no dumps. HINT: walden dump"));
        } catch (RepositoryFormatException e) {
            throw new DumpException(e.getMessage());
        }
    }

    private static DumpRecord find(DumpCatalog catalog, String id) throws DumpException, IOException {
        try {
            DumpCatalog.Listing listing = catalog.list();
            return listing.find(id).orElseThrow(() -> new DumpException("no complete dump " + id
                    + (listing.incomplete().contains(id) ? " (it never completed)" : "") + ". HINT: walden dump list"));
        } catch (CorruptObjectException e) {
            throw new DumpException("the dump catalog cannot be read: " + e.getMessage());
        }
    }

    /** The dumps retention keeps, by the same grandfather-father-son rules as backups, per database; and why. */
    public Map<DumpRecord, List<String>> plan(List<DumpRecord> complete, Instant now) {
        Map<String, List<DumpRecord>> bySubject = new LinkedHashMap<>();
        complete.forEach(d -> bySubject.computeIfAbsent(d.subject(), s -> new ArrayList<>()).add(d));
        Map<DumpRecord, List<String>> reasons = new LinkedHashMap<>();
        for (List<DumpRecord> dumps : bySubject.values()) {
            reasons.putAll(RetentionRules.periods(policy, dumps, DumpRecord::started, "newest dump of " + dumps.get(0).subject()));
        }
        return reasons;
    }

    /** Removes the dumps no rule keeps; returns what went. A dry run deletes nothing. */
    public List<DumpRecord> expire(boolean dryRun, Map<DumpRecord, List<String>> plan) throws IOException {
        List<DumpRecord> expired = new ArrayList<>();
        Optional<DumpCatalog> catalog;
        try {
            catalog = catalog();
        } catch (RepositoryFormatException e) {
            throw new IOException(e.getMessage(), e);
        }
        for (var e : plan.entrySet()) {
            if (e.getValue().isEmpty()) {
                expired.add(e.getKey());
                if (!dryRun && policy.enabled() && catalog.isPresent()) {
                    catalog.get().delete(e.getKey().id());
                    LOG.info("expired dump " + e.getKey().id());
                }
            }
        }
        return expired;
    }

    private static int await(Process process) throws IOException {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /** The last 16 KiB a process wrote to standard error, read on a thread of its own so it never blocks the process. */
    private static final class Stderr {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private Thread reader;

        static Stderr collect(Process process) {
            Stderr stderr = new Stderr();
            stderr.reader = Thread.ofPlatform().daemon().start(() -> {
                byte[] buffer = new byte[4096];
                try (InputStream in = process.getErrorStream()) {
                    int read;
                    while ((read = in.read(buffer)) > 0) {
                        synchronized (stderr.kept) {
                            if (stderr.kept.size() < STDERR_KEPT) {
                                stderr.kept.write(buffer, 0, Math.min(read, STDERR_KEPT - stderr.kept.size()));
                            }
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            return stderr;
        }

        String text() {
            try {
                reader.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (kept) {
                return kept.toString(java.nio.charset.StandardCharsets.UTF_8);
            }
        }
    }

}
