package dev.walden.agent.command;

import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.pipeline.RejectedFileException;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.wal.WalFileName;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import dev.walden.agent.prefetch.RestorePrefetch;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Handles {@code walden fetch %f %p}: restores the file, or says quickly that it is not archived. */
public final class FetchCommand {
    private static final Logger LOG = Logger.getLogger(FetchCommand.class.getName());
    private final FetchPipeline pipeline;
    private final RestorePrefetch prefetch;
    private final dev.walden.agent.metrics.WaldenMetrics metrics;
    private final dev.walden.agent.guard.PgWalGuard guard;

    public FetchCommand(FetchPipeline pipeline, RestorePrefetch prefetch, dev.walden.agent.metrics.WaldenMetrics metrics) {
        this(pipeline, prefetch, metrics, dev.walden.agent.guard.PgWalGuard.OFF);
    }

    /** @param guard files acknowledged into spill-path and not yet forwarded are served from there */
    public FetchCommand(FetchPipeline pipeline, RestorePrefetch prefetch, dev.walden.agent.metrics.WaldenMetrics metrics,
                        dev.walden.agent.guard.PgWalGuard guard) {
        this.pipeline = pipeline;
        this.prefetch = prefetch;
        this.metrics = metrics;
        this.guard = guard;
    }

    public Reply execute(Request.Fetch request) {
        long started = System.nanoTime();
        WalFileName name;
        Path destination;
        try {
            name = WalFileName.parse(request.fileName());
            destination = RequestPaths.absolute(request.destinationPath(), "destination");
        } catch (IllegalArgumentException e) {
            return Replies.failure(LOG, Status.INVALID_REQUEST, "fetch refused: " + e.getMessage());
        }
        try {
            Optional<Long> spooled = prefetch.serve(name, destination, 300);
            if (spooled.isPresent()) {
                prefetch.after(name, destination);
                String message = "restored " + name.name() + " (" + spooled.get() + " bytes, prefetched, "
                        + (System.nanoTime() - started) / 1_000_000 + " ms)";
                metrics.prefetchHit();
                metrics.fetched(spooled.get(), System.nanoTime() - started);
                LOG.info(message);
                return Reply.ok(message);
            }
            FetchPipeline.Outcome outcome;
            try {
                outcome = pipeline.fetch(name, destination);
            } catch (IOException repositoryFailed) {
                outcome = guard.fetch(name, destination);
                if (!outcome.found()) {
                    throw repositoryFailed;
                }
            }
            if (!outcome.found()) {
                outcome = guard.fetch(name, destination);
            }
            if (!outcome.found()) {
                // Recovery asks for files past the end of the archive as a matter of course: not a warning.
                String message = name.name() + " is not in the archive";
                metrics.fetchMissed(System.nanoTime() - started);
                LOG.info(message);
                return new Reply(Status.NOT_FOUND, message);
            }
            prefetch.after(name, destination);
            String message = "restored " + name.name() + " (" + outcome.bytes() + " bytes, "
                    + (System.nanoTime() - started) / 1_000_000 + " ms)";
            metrics.fetched(outcome.bytes(), System.nanoTime() - started);
            LOG.info(message);
            return Reply.ok(message);
        } catch (CorruptObjectException e) {
            String message = "fetch " + name.name() + ": archived object cannot be read: " + e.getMessage();
            metrics.storageErrors().record(new dev.walden.agent.storage.StorageFailureException(
                    dev.walden.agent.storage.StorageFailureException.Kind.CORRUPT, message, e));
            return Replies.failure(LOG, Status.UNREADABLE, message);
        } catch (RejectedFileException e) {
            return Replies.failure(LOG, Status.INVALID_REQUEST, "fetch " + name.name() + " refused: " + e.getMessage());
        } catch (RepositoryFormatException e) {
            return Replies.failure(LOG, Status.UNAVAILABLE, "fetch " + name.name() + ": " + e.getMessage());
        } catch (IOException e) {
            return Replies.failure(LOG, Status.UNAVAILABLE, "fetch " + name.name() + " failed: " + Replies.describe(e));
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "walden fetch " + name.name() + " failed unexpectedly", e);
            return new Reply(Status.INTERNAL, Replies.internalError("walden fetch " + name.name(), e));
        }
    }
}
