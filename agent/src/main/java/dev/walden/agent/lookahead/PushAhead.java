package dev.walden.agent.lookahead;

import dev.walden.agent.pipeline.PushPipeline;
import dev.walden.agent.storage.DurableFiles;
import dev.walden.agent.wal.WalFileKind;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Look-ahead push. PostgreSQL's archiver runs {@code archive_command} for one file at a time; when it asks for
 * segment N, this uploads the segments whose {@code .ready} files follow N, several at once, so that by the time
 * PostgreSQL asks for them they are durable and the answer is immediate.
 *
 * <p>Correctness: a segment pushed ahead is acknowledged only if the file PostgreSQL hands over has the identity
 * (device, inode, size, mtime, ctime) it had both before and after the upload read it ({@link #claim}, and bin/walden
 * through {@link LauncherAcknowledgements}); otherwise the ordinary push runs, which compares the file byte for byte
 * with the archived object and refuses a different one. Optionally ({@code mark-ready-done}), once an upload is
 * durable its {@code .ready} status file is renamed to {@code .done}, as PostgreSQL's archiver would after a
 * successful {@code archive_command}; PostgreSQL 15 re-checks {@code .ready} before archiving a file and skips it.
 *
 * <p>Bounds: at most {@code push-ahead} uploads queued or running, on {@code push-ahead-threads} threads, each
 * streaming with the pipeline's fixed buffers; at most twice {@code push-ahead} segments uploaded or in flight that
 * PostgreSQL has not archived yet, so the agent never runs further ahead of PostgreSQL than that. A segment counts as
 * archived by PostgreSQL once its {@code .ready} file is gone, which a light watcher checks every 10 ms while such
 * segments exist.
 */
public final class PushAhead implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PushAhead.class.getName());
    private static final long WATCH_MILLIS = 10;

    /** For push-ahead = 0: callers never check. */
    public static final PushAhead NONE = new PushAhead(null, 0, 1, false, null);

    private final PushPipeline pipeline;
    private final int window;
    private final boolean markReadyDone;
    private final LauncherAcknowledgements acknowledgements;
    private final ThreadPoolExecutor uploads;
    private final ScheduledExecutorService watcher;
    /** Uploads queued, running, or done and not yet archived by PostgreSQL; a null identity means "changed". */
    private final Map<String, CompletableFuture<FileIdentity>> ahead = new ConcurrentHashMap<>();
    /**
     * What was stored ahead and marked done, for the race where PostgreSQL had already picked the file before the
     * rename: its push is then answered by its identity, not by reading the object back. Bounded, oldest dropped.
     */
    private final Map<String, FileIdentity> recentlyMarked = Collections.synchronizedMap(
            new LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, FileIdentity> eldest) {
                    return size() > 256;
                }
            });
    /** Where PostgreSQL's archiver is: its pg_wal and the last segment it asked for. */
    private volatile Path walDirectory;
    private volatile String lastRequested = "";

    /**
     * @param acknowledgementDirectory where bin/walden looks for segments stored ahead, or null for no fast path
     */
    public PushAhead(PushPipeline pipeline, int window, int threads, boolean markReadyDone, Path acknowledgementDirectory) {
        this.pipeline = pipeline;
        this.window = window;
        this.markReadyDone = markReadyDone;
        this.acknowledgements = window == 0 || acknowledgementDirectory == null
                ? LauncherAcknowledgements.NONE : LauncherAcknowledgements.in(acknowledgementDirectory);
        this.uploads = window == 0 ? null : new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(window),
                Thread.ofPlatform().name("walden-push-ahead-", 1).daemon().factory());
        this.watcher = window == 0 ? null : Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("walden-push-ahead-watch").daemon().factory());
        if (watcher != null) {
            watcher.scheduleWithFixedDelay(this::refillWhenArchived, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * If {@code name} was uploaded ahead (or is being uploaded), waits for that upload and says whether the file
     * PostgreSQL hands over now is the one that was stored. False when it was not pushed ahead or differs: then the
     * caller runs the ordinary push.
     */
    public boolean claim(WalFileName name, Path source, long timeoutSeconds) {
        FileIdentity marked = recentlyMarked.remove(name.name());
        if (marked != null) {
            return unchanged(source, marked);
        }
        CompletableFuture<FileIdentity> upload = ahead.get(name.name());
        if (upload == null) {
            return false;
        }
        try {
            FileIdentity stored = upload.get(timeoutSeconds, TimeUnit.SECONDS);
            if (stored != null && unchanged(source, stored)) {
                return true;
            }
            LOG.warning(name.name() + " changed since it was pushed ahead; pushing it again the ordinary way");
        } catch (ExecutionException | TimeoutException e) {
            // The ordinary push will report whatever is wrong.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private static boolean unchanged(Path source, FileIdentity stored) {
        try {
            return stored.equals(FileIdentity.of(source));
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts uploads of the segments that are ready after {@code current} in {@code source}'s pg_wal. */
    public void after(WalFileName current, Path source) {
        if (window == 0 || current.kind() != WalFileKind.SEGMENT) {
            return;
        }
        walDirectory = source.getParent();
        lastRequested = current.name();
        fill();
    }

    /**
     * Forgets segments PostgreSQL has archived (their .ready is gone) and starts uploads of the next ready ones, in
     * name order, up to the bounds.
     */
    private synchronized void fill() {
        Path wal = walDirectory;
        if (wal == null) {
            return;
        }
        Path status = wal.resolve("archive_status");
        List<String> ready = readySegments(status);
        Set<String> stillReady = new HashSet<>(ready);
        ahead.forEach((name, upload) -> {
            if (upload.isDone() && !stillReady.contains(name)) {
                forget(name, upload);
            }
        });
        String from = lastRequested;
        for (String next : ready) {
            if (ahead.size() >= 2 * window) {
                break;
            }
            if (next.compareTo(from) <= 0 || ahead.containsKey(next) || recentlyMarked.containsKey(next)) {
                continue;
            }
            CompletableFuture<FileIdentity> future = new CompletableFuture<>();
            ahead.put(next, future);
            acknowledgements.pending(next);
            try {
                uploads.execute(() -> upload(WalFileName.parse(next), wal.resolve(next), status, future));
            } catch (RejectedExecutionException full) {
                ahead.remove(next, future);
                acknowledgements.forgetPending(next);
                break;
            }
        }
    }

    private void forget(String name, CompletableFuture<FileIdentity> upload) {
        if (ahead.remove(name, upload)) {
            acknowledgements.forget(name);
        }
    }

    /**
     * Runs on the watcher: when PostgreSQL has archived a segment that was stored ahead, the window moves on.
     * PostgreSQL archives in name order, so watching the lowest stored segment is enough: one stat per tick.
     */
    private void refillWhenArchived() {
        try {
            Path wal = walDirectory;
            if (wal == null || ahead.isEmpty()) {
                return;
            }
            String lowest = null;
            for (Map.Entry<String, CompletableFuture<FileIdentity>> entry : ahead.entrySet()) {
                if (entry.getValue().isDone() && (lowest == null || entry.getKey().compareTo(lowest) < 0)) {
                    lowest = entry.getKey();
                }
            }
            if (lowest != null && !Files.exists(wal.resolve("archive_status").resolve(lowest + ".ready"))) {
                fill();
            }
        } catch (RuntimeException e) {
            LOG.warning("push-ahead watcher: " + e);  // keep the schedule alive
        }
    }

    private void upload(WalFileName name, Path file, Path status, CompletableFuture<FileIdentity> future) {
        try {
            FileIdentity before = FileIdentity.of(file);
            PushPipeline.Outcome outcome = pipeline.push(name, file);
            FileIdentity after = FileIdentity.of(file);
            FileIdentity stored = before.equals(after) ? after : null;
            future.complete(stored);
            LOG.info("archived " + name.name() + " ahead (" + outcome.originalBytes() + " → " + outcome.storedBytes() + " bytes)");
            if (stored == null) {
                acknowledgements.forgetPending(name.name());
            } else {
                acknowledgements.stored(name.name(), stored);
                if (markReadyDone && markDone(status, name.name())) {
                    // PostgreSQL skips a .done file; a push of it already under way is answered from recentlyMarked
                    // (or by the launcher from the acknowledgement, until the watcher sees .ready gone and drops it).
                    recentlyMarked.put(name.name(), stored);
                }
            }
            fill();  // slide the window from here, so the backlog drains without waiting for PostgreSQL
        } catch (NoSuchFileException gone) {
            forget(name.name(), future);  // PostgreSQL archived and recycled it meanwhile
            future.complete(null);
        } catch (Exception e) {
            // Not acknowledged to anyone: PostgreSQL's own push of this file will do it again and report the error.
            forget(name.name(), future);
            future.completeExceptionally(e);
            LOG.warning("push ahead of " + name.name() + " failed (PostgreSQL's own push will retry): " + e.getMessage());
        }
    }

    /** Only after the object is durable: the same rename PostgreSQL's archiver makes after archive_command succeeds. */
    private static boolean markDone(Path status, String name) {
        Path ready = status.resolve(name + ".ready");
        try {
            Files.move(ready, status.resolve(name + ".done"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            DurableFiles.fsyncDirectory(status);
            return true;
        } catch (NoSuchFileException alreadyHandled) {
            return false;  // PostgreSQL archived it itself in the meantime
        } catch (IOException e) {
            LOG.warning("could not mark " + name + " done (PostgreSQL will push it; that is harmless): " + e.getMessage());
            return false;
        }
    }

    /** Every segment with a .ready status file, in name order (the order PostgreSQL archives them in). */
    private static List<String> readySegments(Path status) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(status, "*.ready")) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                String name = file.substring(0, file.length() - ".ready".length());
                if (name.length() == 24) {
                    try {
                        if (WalFileName.parse(name).kind() == WalFileKind.SEGMENT) {
                            names.add(name);
                        }
                    } catch (IllegalArgumentException notWal) {
                        // not a segment status file
                    }
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        names.sort(null);
        return names;
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
        if (uploads != null) {
            uploads.shutdown();
            try {
                uploads.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        acknowledgements.clear();
    }
}
