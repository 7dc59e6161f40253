package dev.walden.agent.spill;

import dev.walden.agent.pipeline.ConflictException;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.pipeline.PushPipeline;
import dev.walden.agent.pipeline.RejectedFileException;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.wal.WalFileKind;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code pg-wal-guard = spill} (docs/runbook.md, "When the repository is down: the pg_wal guard"): when a push fails
 * because the repository does, and pg_wal's backlog has reached {@code pg-wal-max-mib}, the file is stored in
 * {@code spill-path} instead, through the same pipeline (checked, compressed, encrypted, durable before the answer),
 * and acknowledged, so PostgreSQL can recycle it. The spill is a second repository of the same layout on a local
 * volume: while it holds anything, later pushes go there too, so the archive fills in order; a forwarder thread moves
 * its files to the repository, history files first and then by name, each pushed there as PostgreSQL would (an
 * identical copy already there is success, a different one is a conflict that stays in the spill and is reported),
 * and removes it from the spill only once it is durable in the repository. Fetch serves spilled files meanwhile.
 */
public final class WalSpill implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WalSpill.class.getName());
    /** How long the forwarder waits after the repository failed, or when there was nothing to forward. */
    static final long IDLE_MILLIS = 5_000;

    /** What the spill holds, for status and metrics. */
    public record State(int files, Optional<String> oldest, int conflicts) {
        public static final State EMPTY = new State(0, Optional.empty(), 0);
    }

    /** The guard turned off: nothing spills, nothing is served from a spill. */
    public static final WalSpill OFF = new WalSpill();

    private final SpillSettings settings;
    private final Repository spill;
    private final PushPipeline spillPush;
    private final FetchPipeline spillFetch;
    private final PushPipeline repositoryPush;
    private final Path scratch;
    private final Thread forwarder;
    private volatile int conflicts;
    /** Spilled files waiting to be forwarded (not counting conflicts): kept in memory so that a push never lists. */
    private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean stopping;

    private WalSpill() {
        this.settings = SpillSettings.off();
        this.spill = null;
        this.spillPush = null;
        this.spillFetch = null;
        this.repositoryPush = null;
        this.scratch = null;
        this.forwarder = null;
    }

    /**
     * @param spill          the spill, a repository on {@code spill-path}
     * @param spillPush      pushes into the spill
     * @param spillFetch     reads from the spill
     * @param repositoryPush pushes into the agent's repository (where the forwarder sends spilled files)
     * @param scratch        a local directory for the one file being forwarded (the agent's spool)
     */
    public WalSpill(SpillSettings settings, Repository spill, PushPipeline spillPush, FetchPipeline spillFetch,
                    PushPipeline repositoryPush, Path scratch) {
        this(settings, spill, spillPush, spillFetch, repositoryPush, scratch, true);
    }

    /** @param forward whether a forwarder thread runs (tests call {@link #forwardAll} themselves) */
    WalSpill(SpillSettings settings, Repository spill, PushPipeline spillPush, FetchPipeline spillFetch,
             PushPipeline repositoryPush, Path scratch, boolean forward) {
        this.settings = settings;
        this.spill = spill;
        this.spillPush = spillPush;
        this.spillFetch = spillFetch;
        this.repositoryPush = repositoryPush;
        this.scratch = scratch;
        this.waiting.set(state().files());
        this.forwarder = forward ? Thread.ofPlatform().name("walden-spill-forwarder").daemon().start(this::forwardLoop) : null;
    }

    public boolean enabled() {
        return settings.enabled();
    }

    /** Spilled files waiting to be forwarded, as last counted (no listing: for the metrics). */
    public int waiting() {
        return waiting.get();
    }

    /**
     * Whether a push of {@code source} goes to the spill: always while the spill holds files (the archive fills in
     * order), and after a repository failure once pg_wal's backlog has reached the limit.
     */
    public boolean takes(Path source, boolean repositoryFailed) {
        if (!enabled()) {
            return false;
        }
        return waiting.get() > 0 || repositoryFailed && backlogBytes(source) >= settings.maxBacklogBytes();
    }

    /** The WAL waiting in pg_wal to be archived: its {@code .ready} files, each the size of the file being pushed. */
    static long backlogBytes(Path source) {
        Path status = source.resolveSibling("archive_status");
        long count = 0;
        try (DirectoryStream<Path> ready = Files.newDirectoryStream(status, "*.ready")) {
            for (Path ignored : ready) {
                count++;
            }
            return count * Math.max(Files.size(source), 1);
        } catch (IOException e) {
            return 0;  // no archive_status beside it: not PostgreSQL's pg_wal, never spill
        }
    }

    /** Stores {@code source} in the spill, durable before it returns. */
    public PushPipeline.Outcome push(WalFileName name, Path source)
            throws IOException, RejectedFileException, ConflictException, RepositoryFormatException {
        PushPipeline.Outcome outcome = spillPush.push(name, source);
        if (!outcome.alreadyArchived()) {
            waiting.incrementAndGet();
        }
        synchronized (this) {
            notifyAll();  // the forwarder tries the repository now
        }
        return outcome;
    }

    /** Serves a spilled file to {@code destination}; not found when the spill does not hold it. */
    public FetchPipeline.Outcome fetch(WalFileName name, Path destination)
            throws IOException, CorruptObjectException, RepositoryFormatException, RejectedFileException {
        if (!enabled()) {
            return new FetchPipeline.Outcome(false, 0);
        }
        return spillFetch.fetch(name, destination);
    }

    /** What the spill holds now (one listing of the spill directory). */
    public State state() {
        if (!enabled()) {
            return State.EMPTY;
        }
        try {
            List<WalFileName> files = spilled();
            return new State(files.size(), files.stream().filter(n -> n.kind() != WalFileKind.TIMELINE_HISTORY)
                    .map(WalFileName::name).findFirst(), conflicts);
        } catch (IOException | RepositoryFormatException e) {
            LOG.warning("cannot read the spill " + settings.path() + ": " + e.getMessage());
            return new State(0, Optional.empty(), conflicts);
        }
    }

    /** The spilled files in the order they are forwarded: timeline histories first, then by name. */
    private List<WalFileName> spilled() throws IOException, RepositoryFormatException {
        OptionalLong system = spill.systemIdentifier();
        if (system.isEmpty()) {
            return List.of();
        }
        List<WalFileName> files = new ArrayList<>();
        spill.wal(system.getAsLong()).forEach(file -> files.add(file.name()));
        files.sort(Comparator.comparing((WalFileName n) -> n.kind() != WalFileKind.TIMELINE_HISTORY).thenComparing(WalFileName::name));
        return files;
    }

    private void forwardLoop() {
        while (!stopping) {
            boolean more;
            try {
                more = forwardAll();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "forwarding spilled WAL failed unexpectedly", e);
                more = false;
            }
            if (!more) {
                synchronized (this) {
                    try {
                        wait(IDLE_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Forwards what the spill holds, in order, until it is empty or the repository fails.
     *
     * @return whether it should run again at once (something was forwarded and more may have come)
     */
    boolean forwardAll() {
        List<WalFileName> files;
        try {
            files = spilled();
        } catch (IOException | RepositoryFormatException e) {
            LOG.warning("cannot list the spill " + settings.path() + ": " + e.getMessage());
            return false;
        }
        if (files.isEmpty()) {
            waiting.set(0);
            return false;
        }
        int forwarded = 0;
        int conflicted = 0;
        for (WalFileName name : files) {
            if (stopping) {
                return false;
            }
            Path copy = scratch.resolve(".spill-" + name.name() + ".walden-tmp");
            try {
                Files.deleteIfExists(copy);
                if (!spillFetch.fetch(name, copy).found()) {
                    continue;  // forwarded meanwhile
                }
                repositoryPush.push(name, copy);
                spill.wal(spill.systemIdentifier().orElseThrow()).deleteAll(List.of(name));
                forwarded++;
            } catch (ConflictException e) {
                conflicted++;
                LOG.severe("spilled " + name.name() + " was not forwarded: " + e.getMessage() + "; it stays in " + settings.path()
                        + ". HINT: compare the two copies (walden fetch) and remove the wrong one");
            } catch (IOException e) {
                if (forwarded > 0) {
                    LOG.info("forwarded " + forwarded + " spilled WAL files; the repository failed again: " + e.getMessage());
                }
                return false;  // the repository (or the spill) still fails: try again later
            } catch (RejectedFileException | RepositoryFormatException | CorruptObjectException e) {
                conflicted++;
                LOG.severe("spilled " + name.name() + " cannot be forwarded: " + e.getMessage() + "; it stays in " + settings.path());
            } finally {
                try {
                    Files.deleteIfExists(copy);
                } catch (IOException ignored) {
                    // the spool is emptied at start-up
                }
            }
        }
        conflicts = conflicted;
        waiting.set(Math.max(0, files.size() - forwarded - conflicted));
        if (forwarded > 0) {
            LOG.info("forwarded " + forwarded + " spilled WAL files to the repository" + (conflicted > 0 ? "; " + conflicted
                    + " stay in the spill" : "; the spill is empty"));
        }
        return forwarded > 0;
    }

    @Override
    public void close() {
        if (forwarder == null) {
            return;
        }
        stopping = true;
        synchronized (this) {
            notifyAll();
        }
        try {
            forwarder.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
