package dev.walden.agent.prefetch;

import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.storage.DurableFiles;
import dev.walden.agent.wal.InvalidWalFileException;
import dev.walden.agent.wal.WalFileKind;
import dev.walden.agent.wal.WalFileName;
import dev.walden.agent.wal.WalSegmentHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Restore prefetch. Recovery runs {@code restore_command} for one segment at a time; when it fetches segment N,
 * this downloads the next segments of the same timeline in parallel into the spool, decompressed and verified by
 * the ordinary fetch pipeline, so the following fetch is a local rename (or copy) and no repository round trip.
 *
 * <ul>
 *   <li>Only WAL segments are prefetched or served from the spool; {@code .history}, {@code .partial} and
 *       {@code .backup} files always come from the repository.</li>
 *   <li>A spool file is named by the exact WAL file name it was fetched for and is served only for that name.
 *       The spool is emptied at start, so nothing from an earlier run (or another repository) is ever served.</li>
 *   <li>Bounds: at most {@code min(prefetch, spool-mib / segment size)} segments spooled or in flight, on
 *       {@code prefetch-threads} threads. Entries behind the recovery position or on another timeline are dropped.</li>
 *   <li>A segment the repository lacks or cannot read is simply not spooled: its own fetch reports the truth.</li>
 * </ul>
 */
public final class RestorePrefetch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RestorePrefetch.class.getName());

    /** For prefetch = 0: callers never check. */
    public static final RestorePrefetch NONE = new RestorePrefetch();

    private final FetchPipeline pipeline;
    private final Path spool;
    private final int window;
    private final long maxBytes;
    private final ThreadPoolExecutor downloads;
    /** Spooled or in-flight segments by exact WAL file name; a null result means "not available, fetch it". */
    private final Map<String, CompletableFuture<Path>> entries = new ConcurrentHashMap<>();
    /**
     * The launcher serves spooled segments itself (a hard link, no JVM start) and never tells the agent; this
     * notices spool files that are gone and moves the window on, so the spool stays full during recovery.
     */
    private final java.util.concurrent.ScheduledExecutorService refill;
    private volatile long segmentSize;

    private RestorePrefetch() {
        this.pipeline = null;
        this.spool = null;
        this.window = 0;
        this.maxBytes = 0;
        this.downloads = null;
        this.refill = null;
    }

    public RestorePrefetch(FetchPipeline pipeline, Path spool, int window, int threads, long maxBytes) throws IOException {
        this.pipeline = pipeline;
        this.spool = spool;
        this.window = window;
        this.maxBytes = maxBytes;
        claimSpool(spool);
        this.downloads = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(window),
                Thread.ofPlatform().name("walden-prefetch-", 1).daemon().factory());
        this.refill = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("walden-prefetch-refill").daemon().factory());
        refill.scheduleWithFixedDelay(this::refillConsumed, 20, 20, TimeUnit.MILLISECONDS);
    }

    /** Marks a directory as a Walden spool; only a directory carrying it is ever emptied. */
    static final String MARKER = ".walden-spool";

    /**
     * Empties the spool of an earlier run, but only a directory this agent made a spool: a mistyped spool-path
     * (a pg_wal, a repository) is refused, never wiped.
     */
    static void claimSpool(Path spool) throws IOException {
        DurableFiles.createDirectories(spool);
        Path marker = spool.resolve(MARKER);
        try (Stream<Path> entries = Files.list(spool)) {
            List<Path> all = entries.toList();
            if (!Files.exists(marker)) {
                if (!all.isEmpty()) {
                    throw new IOException("spool-path " + spool + " is not empty and is not a Walden spool; refusing to"
                            + " empty it. HINT: give spool-path a directory of its own");
                }
                Files.writeString(marker, "Walden prefetch spool: files here are deleted when walden-agent starts.\n");
                return;
            }
            for (Path entry : all) {
                if (!entry.equals(marker)) {
                    Files.deleteIfExists(entry);
                }
            }
        }
    }

    /** The spool directory, which the agent links next to its socket for the launcher. */
    public Path spool() {
        return spool;
    }

    /**
     * An entry is consumed when its file is gone (served through the agent) or bin/walden left {@code NAME.taken}
     * beside it after hard-linking it onto %p: a shell redirection, which saves the launcher an {@code rm} process
     * per segment. One listing of the spool per tick tells both for every entry; consumed entries are removed and
     * the window moves on from the newest of them.
     */
    private void refillConsumed() {
        // Downloads finished before the listing below: their files are in it unless consumed. (A download that
        // finishes after the listing would look consumed, so it waits for the next tick.)
        Map<String, CompletableFuture<Path>> spooled = new HashMap<>();
        entries.forEach((name, future) -> {
            if (future.getNow(null) != null) {
                spooled.put(name, future);
            }
        });
        if (spooled.isEmpty()) {
            return;
        }
        Set<String> present;
        try (Stream<Path> files = Files.list(spool)) {
            present = files.map(file -> file.getFileName().toString()).collect(Collectors.toSet());
        } catch (IOException e) {
            return;
        }
        String newest = null;
        for (Map.Entry<String, CompletableFuture<Path>> entry : spooled.entrySet()) {
            String name = entry.getKey();
            boolean consumed = !present.contains(name) || present.contains(name + TAKEN);
            if (consumed && entries.remove(name, entry.getValue())) {
                deleteWithMark(entry.getValue().getNow(null));
                if (newest == null || name.compareTo(newest) > 0) {
                    newest = name;
                }
            }
        }
        long size = segmentSize;
        if (newest != null && size > 0) {
            schedule(WalFileName.parse(newest), size);
        }
    }

    static final String TAKEN = ".taken";

    private static void deleteWithMark(Path spooled) {
        try {
            Files.deleteIfExists(spooled);
            Files.deleteIfExists(spooled.resolveSibling(spooled.getFileName() + TAKEN));
        } catch (IOException ignored) {
            // emptied at next start
        }
    }

    /**
     * Serves {@code name} from the spool if it was prefetched (waiting for a download in flight), putting it at
     * {@code destination} atomically. Returns its size, or empty when the caller must fetch from the repository.
     */
    public Optional<Long> serve(WalFileName name, Path destination, long timeoutSeconds) {
        if (window == 0 || name.kind() != WalFileKind.SEGMENT) {
            return Optional.empty();
        }
        CompletableFuture<Path> entry = entries.get(name.name());
        if (entry == null) {
            return Optional.empty();
        }
        try {
            // Wait while the entry is still registered: a download that finds itself unregistered discards its file.
            Path spooled = entry.get(timeoutSeconds, TimeUnit.SECONDS);
            entries.remove(name.name(), entry);
            if (spooled == null || !spooled.getFileName().toString().equals(name.name())) {
                return Optional.empty();
            }
            long size = Files.size(spooled);
            FetchPipeline.install(spooled, destination);
            deleteWithMark(spooled);  // a mark the launcher may have left; the file itself has moved
            return Optional.of(size);
        } catch (Exception e) {
            entries.remove(name.name(), entry);
            return Optional.empty();
        }
    }

    /** After {@code name} reached {@code restored}: drops stale entries and starts downloads of the next segments. */
    public void after(WalFileName name, Path restored) {
        if (window == 0 || name.kind() != WalFileKind.SEGMENT) {
            return;
        }
        long size;
        try (FileChannel channel = FileChannel.open(restored)) {
            ByteBuffer header = ByteBuffer.allocate(WalSegmentHeader.LENGTH);
            channel.read(header, 0);
            size = WalSegmentHeader.parse(header.flip()).segmentSize();
        } catch (IOException | InvalidWalFileException e) {
            return;
        }
        segmentSize = size;
        schedule(name, size);
    }

    private synchronized void schedule(WalFileName name, long segmentSize) {
        int depth = (int) Math.min(window, Math.max(1, maxBytes / segmentSize));
        long segmentNumber = name.segmentNumber(segmentSize);
        long perLog = name.segmentsPerLog(segmentSize);
        String timeline = name.name().substring(0, 8);
        String last = nameOf(timeline, segmentNumber + depth, perLog);
        dropOutside(timeline, name.name(), last);
        for (int i = 1; i <= depth; i++) {
            String next = nameOf(timeline, segmentNumber + i, perLog);
            CompletableFuture<Path> existing = entries.get(next);
            if (existing != null && existing.isDone() && existing.getNow(null) == null) {
                // Not in the archive when last tried: a standby asks again and again while the primary archives,
                // so try again rather than remember the absence.
                entries.remove(next, existing);
                existing = null;
            }
            if (existing != null) {
                continue;
            }
            CompletableFuture<Path> future = new CompletableFuture<>();
            if (entries.putIfAbsent(next, future) != null) {
                continue;
            }
            try {
                downloads.execute(() -> download(WalFileName.parse(next), future));
            } catch (RejectedExecutionException full) {
                entries.remove(next, future);
                break;
            }
        }
    }

    private void download(WalFileName name, CompletableFuture<Path> future) {
        Path target = spool.resolve(name.name());
        try {
            if (pipeline.fetch(name, target).found()) {
                if (entries.get(name.name()) == future) {
                    future.complete(target);
                    return;
                }
                Files.deleteIfExists(target);  // dropped while downloading
            }
        } catch (Exception e) {
            LOG.fine("prefetch of " + name.name() + " failed; its own fetch will report it: " + e.getMessage());
        }
        future.complete(null);
    }

    private void dropOutside(String timeline, String current, String last) {
        for (Iterator<Map.Entry<String, CompletableFuture<Path>>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, CompletableFuture<Path>> entry = it.next();
            String spooled = entry.getKey();
            if (!spooled.startsWith(timeline) || spooled.compareTo(current) <= 0 || spooled.compareTo(last) > 0) {
                it.remove();
                entry.getValue().thenAccept(path -> {
                    if (path != null) {
                        deleteWithMark(path);
                    }
                });
            }
        }
    }

    /** Segments spooled or being downloaded now. */
    int pending() {
        return entries.size();
    }

    static String nameOf(String timeline, long segmentNumber, long segmentsPerLog) {
        return timeline + String.format("%08X%08X", segmentNumber / segmentsPerLog, segmentNumber % segmentsPerLog);
    }

    @Override
    public void close() {
        if (downloads != null) {
            refill.shutdownNow();
            downloads.shutdownNow();
        }
    }
}
