package dev.walden.agent.lookahead;

import dev.walden.agent.pipeline.ArchivedObjectFormat;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Look-ahead push. PostgreSQL's archiver runs {@code archive_command} for one file at a time; when it asks for
 * segment N, this uploads the segments whose {@code .ready} files follow N, several at once, so that by the time
 * PostgreSQL asks for them they are durable and the answer costs one local hash.
 *
 * <p>Correctness: a segment pushed ahead is acknowledged to PostgreSQL only if the file PostgreSQL hands over has
 * the same length and SHA-256 as the bytes that were stored ({@link #claim}); otherwise the ordinary push runs,
 * which refuses a different file under an archived name. Optionally ({@code mark-ready-done}), once an upload is
 * durable its {@code .ready} status file is renamed to {@code .done}, as PostgreSQL's archiver would after a
 * successful {@code archive_command}; PostgreSQL 15 re-checks {@code .ready} before archiving a file and skips it.
 *
 * <p>Bounds: at most {@code push-ahead} uploads queued or running, on {@code push-ahead-threads} threads, each
 * streaming with the pipeline's fixed buffers; at most twice {@code push-ahead} results remembered.
 */
public final class PushAhead implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PushAhead.class.getName());

    /** For push-ahead = 0: callers never check. */
    public static final PushAhead NONE = new PushAhead(null, 0, 1, false);

    private final PushPipeline pipeline;
    private final int window;
    private final boolean markReadyDone;
    private final ThreadPoolExecutor uploads;
    private final Map<String, CompletableFuture<Uploaded>> ahead = new ConcurrentHashMap<>();

    /** What an upload ahead stored, and the file's identity if it did not change while it was read. */
    private record Uploaded(ArchivedObjectFormat.Trailer content, FileIdentity identity) {}
    /**
     * What was stored ahead and marked done, for the race where PostgreSQL had already picked the file before the
     * rename: its push is then answered by a local hash, not by reading the object back. Bounded, oldest dropped.
     */
    private final Map<String, Uploaded> recentlyMarked = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(64, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Uploaded> eldest) {
                    return size() > 256;
                }
            });

    public PushAhead(PushPipeline pipeline, int window, int threads, boolean markReadyDone) {
        this.pipeline = pipeline;
        this.window = window;
        this.markReadyDone = markReadyDone;
        this.uploads = window == 0 ? null : new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(window),
                Thread.ofPlatform().name("walden-push-ahead-", 1).daemon().factory());
    }

    /**
     * If {@code name} was uploaded ahead (or is being uploaded), waits for that upload and says whether the file
     * PostgreSQL hands over now is byte for byte what was stored. Empty when it was not pushed ahead or differs:
     * then the caller runs the ordinary push.
     */
    public Optional<ArchivedObjectFormat.Trailer> claim(WalFileName name, Path source, long timeoutSeconds) {
        Uploaded marked = recentlyMarked.remove(name.name());
        if (marked != null) {
            return matches(source, marked) ? Optional.of(marked.content()) : Optional.empty();
        }
        CompletableFuture<Uploaded> upload = ahead.remove(name.name());
        if (upload == null) {
            return Optional.empty();
        }
        try {
            Uploaded stored = upload.get(timeoutSeconds, TimeUnit.SECONDS);
            if (stored != null && matches(source, stored)) {
                return Optional.of(stored.content());
            }
            LOG.warning(name.name() + " changed since it was pushed ahead; pushing it again the ordinary way");
        } catch (ExecutionException | TimeoutException e) {
            // The ordinary push will report whatever is wrong.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    /**
     * The file is the one uploaded if its identity is unchanged since the upload read it (no hashing needed), or
     * failing that if its length and SHA-256 match what was stored.
     */
    private static boolean matches(Path source, Uploaded stored) {
        try {
            if (stored.identity() != null && stored.identity().equals(FileIdentity.of(source))) {
                return true;
            }
            return PushPipeline.sameContent(source, stored.content());
        } catch (IOException e) {
            return false;
        }
    }

    /** Starts uploads of the segments that are ready after {@code current} in {@code source}'s pg_wal. */
    public void after(WalFileName current, Path source) {
        if (window == 0 || current.kind() != WalFileKind.SEGMENT) {
            return;
        }
        Path walDirectory = source.getParent();
        Path status = walDirectory.resolve("archive_status");
        List<String> ready = readySegmentsAfter(status, current.name());
        for (String next : ready) {
            if (ahead.size() >= 2 * window) {
                break;
            }
            if (ahead.containsKey(next)) {
                continue;
            }
            CompletableFuture<Uploaded> future = new CompletableFuture<>();
            if (ahead.putIfAbsent(next, future) != null) {
                continue;
            }
            try {
                uploads.execute(() -> upload(WalFileName.parse(next), walDirectory.resolve(next), status, future));
            } catch (RejectedExecutionException full) {
                ahead.remove(next, future);
                break;
            }
        }
    }

    private void upload(WalFileName name, Path file, Path status, CompletableFuture<Uploaded> future) {
        try {
            FileIdentity before = FileIdentity.of(file);
            PushPipeline.Outcome outcome = pipeline.push(name, file);
            FileIdentity after = FileIdentity.of(file);
            Uploaded uploaded = new Uploaded(outcome.content(), before.equals(after) ? after : null);
            future.complete(uploaded);
            LOG.info("archived " + name.name() + " ahead (" + outcome.originalBytes() + " → " + outcome.storedBytes() + " bytes)");
            if (markReadyDone && markDone(status, name.name())) {
                // PostgreSQL skips a .done file, so nobody will claim this entry from the window; a push that was
                // already under way is answered from recentlyMarked.
                recentlyMarked.put(name.name(), uploaded);
                ahead.remove(name.name(), future);
            }
            // Slide the window from here, so the backlog drains without waiting for PostgreSQL's next call.
            after(name, file);
        } catch (NoSuchFileException gone) {
            ahead.remove(name.name(), future);  // PostgreSQL archived and recycled it meanwhile
            future.complete(null);
        } catch (Exception e) {
            // Not acknowledged to anyone: PostgreSQL's own push of this file will do it again and report the error.
            ahead.remove(name.name(), future);
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

    private List<String> readySegmentsAfter(Path status, String current) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(status, "*.ready")) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                String name = file.substring(0, file.length() - ".ready".length());
                if (name.length() == 24 && name.compareTo(current) > 0) {
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
        return names.size() > window ? names.subList(0, window) : names;
    }

    @Override
    public void close() {
        if (uploads != null) {
            uploads.shutdown();
            try {
                uploads.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
