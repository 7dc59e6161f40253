package dev.walden.agent.command;

import dev.walden.agent.lookahead.PushAhead;
import dev.walden.agent.metrics.WaldenMetrics;
import dev.walden.agent.pipeline.ConflictException;
import dev.walden.agent.pipeline.PushPipeline;
import dev.walden.agent.pipeline.RejectedFileException;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.wal.WalFileName;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Handles {@code walden push %p %f}: archives the file and answers OK only once it is durable. */
public final class PushCommand {
    private static final Logger LOG = Logger.getLogger(PushCommand.class.getName());
    private final PushPipeline pipeline;
    private final PushAhead pushAhead;
    private final WaldenMetrics metrics;
    private final dev.walden.agent.guard.PgWalGuard guard;

    public PushCommand(PushPipeline pipeline, PushAhead pushAhead, WaldenMetrics metrics) {
        this(pipeline, pushAhead, metrics, dev.walden.agent.guard.PgWalGuard.OFF);
    }

    /** @param guard where a push goes while the repository fails and pg_wal is full (pg-wal-guard = spill) */
    public PushCommand(PushPipeline pipeline, PushAhead pushAhead, WaldenMetrics metrics, dev.walden.agent.guard.PgWalGuard guard) {
        this.pipeline = pipeline;
        this.pushAhead = pushAhead;
        this.metrics = metrics;
        this.guard = guard;
    }

    public Reply execute(Request.Push request) {
        long started = System.nanoTime();
        Reply reply = push(request, started);
        long nanos = System.nanoTime() - started;
        if (reply.status() != Status.OK) {
            metrics.pushFailed(reason(reply.status()), reply.message(), nanos, System.currentTimeMillis());
        }
        return reply;
    }

    private static String reason(Status status) {
        return switch (status) {
            case REJECTED -> "rejected";
            case CONFLICT -> "conflict";
            case INVALID_REQUEST -> "invalid_request";
            case INTERNAL -> "internal";
            default -> "repository";
        };
    }

    private Reply push(Request.Push request, long started) {
        WalFileName name;
        Path source;
        try {
            name = WalFileName.parse(request.fileName());
            source = RequestPaths.absolute(request.sourcePath(), "source");
            // PostgreSQL always passes %p as pg_wal/%f; insisting on it keeps the agent from archiving arbitrary files.
            if (source.getFileName() == null || !source.getFileName().toString().equals(name.name())) {
                throw new IllegalArgumentException("source " + source + " is not a file named " + name.name()
                        + " (archive_command must be 'walden push %p %f')");
            }
        } catch (IllegalArgumentException e) {
            return Replies.failure(LOG, Status.INVALID_REQUEST, "push refused: " + e.getMessage());
        }
        try {
            if (guard.followsSpill()) {
                return relieved(name, source, started, "earlier files wait in the spill");
            }
            // Start the uploads of the following segments first, so they overlap this one.
            pushAhead.after(name, source);
            if (pushAhead.claim(name, source, 300)) {
                String message = name.name() + " was archived ahead; the file matches what was stored";
                LOG.info(message);
                metrics.pushSucceeded(name.name(), 0, 0, System.nanoTime() - started, System.currentTimeMillis());
                return Reply.ok(message);
            }
            PushPipeline.Outcome outcome = pipeline.push(name, source);
            long millis = (System.nanoTime() - started) / 1_000_000;
            String message = outcome.alreadyArchived()
                    ? name.name() + " was already archived with identical content"
                    : "archived " + name.name() + " (" + outcome.originalBytes() + " → " + outcome.storedBytes() + " bytes, " + millis + " ms)";
            LOG.log(outcome.alreadyArchived() ? Level.WARNING : Level.INFO, message);
            if (outcome.newerMajorMagic() != 0 && metrics.newerMajorArchived(outcome.newerMajorMagic())) {
                LOG.warning("archiving WAL of a PostgreSQL newer than Walden knows (page magic 0x"
                        + Integer.toHexString(outcome.newerMajorMagic()) + "; Walden knows up to "
                        + dev.walden.agent.postgres.PostgresMajor.newest().major() + "): each file's cluster, size and"
                        + " position were checked, so archiving goes on; backups and restores of it are refused."
                        + " HINT: upgrade Walden (warned once per start)");
            }
            metrics.pushSucceeded(name.name(), outcome.alreadyArchived() ? 0 : outcome.originalBytes(), outcome.alreadyArchived() ? 0 : outcome.storedBytes(),
                    System.nanoTime() - started, System.currentTimeMillis());
            return Reply.ok(message);
        } catch (RejectedFileException e) {
            return Replies.failure(LOG, Status.REJECTED, "push " + name.name() + " refused: " + e.getMessage());
        } catch (ConflictException e) {
            return Replies.failure(LOG, Status.CONFLICT, "push " + name.name() + " refused: " + e.getMessage());
        } catch (RepositoryFormatException e) {
            return Replies.failure(LOG, Status.UNAVAILABLE, "push " + name.name() + ": " + e.getMessage());
        } catch (IOException e) {
            if (guard.full(source)) {
                String failure = e.getMessage() == null ? e.toString() : e.getMessage();
                int end = failure.indexOf("; nothing was acknowledged");
                return relieved(name, source, started, "the repository failed: " + (end > 0 ? failure.substring(0, end) : failure));
            }
            return Replies.failure(LOG, Status.UNAVAILABLE, "push " + name.name() + ": repository write failed: " + Replies.describe(e));
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "walden push " + name.name() + " failed unexpectedly", e);
            return new Reply(Status.INTERNAL, Replies.internalError("walden push " + name.name(), e));
        }
    }

    /** pg-wal-guard: the repository cannot take the file and pg_wal is full; the guard spills or drops it. */
    private Reply relieved(WalFileName name, Path source, long started, String why) {
        try {
            dev.walden.agent.guard.PgWalGuard.Relief relief = guard.relieve(name, source, why);
            if (relief.stored()) {
                LOG.warning(relief.message());
                metrics.pushSucceeded(name.name(), 0, 0, System.nanoTime() - started, System.currentTimeMillis());
            }
            return Reply.ok(relief.message());
        } catch (RejectedFileException e) {
            return Replies.failure(LOG, Status.REJECTED, "push " + name.name() + " refused: " + e.getMessage());
        } catch (ConflictException e) {
            return Replies.failure(LOG, Status.CONFLICT, "push " + name.name() + " refused: " + e.getMessage());
        } catch (RepositoryFormatException | IOException e) {
            return Replies.failure(LOG, Status.UNAVAILABLE, "push " + name.name() + ": " + e.getMessage()
                    + "; PostgreSQL keeps the file and tries again");
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "walden push " + name.name() + " failed unexpectedly in the pg_wal guard", e);
            return new Reply(Status.INTERNAL, Replies.internalError("walden push " + name.name(), e));
        }
    }
}
