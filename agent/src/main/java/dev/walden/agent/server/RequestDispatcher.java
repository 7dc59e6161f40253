package dev.walden.agent.server;

import dev.walden.protocol.Result;
import dev.walden.agent.command.CommandExit;
import dev.walden.agent.command.Replies;
import dev.walden.agent.command.RequestRouter;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.Status;
import dev.walden.protocol.WireFormat;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Moves each request off the event loop to the bounded worker pool; answers "busy" at once when it is full. */
final class RequestDispatcher extends SimpleChannelInboundHandler<Request> {
    private static final Logger LOG = Logger.getLogger(RequestDispatcher.class.getName());
    private final RequestRouter router;
    private final ExecutorService workers;
    private final ExecutorService commands;
    private final RunningCommands running;

    private final java.time.Duration stallTimeout;

    RequestDispatcher(RequestRouter router, ExecutorService workers, ExecutorService commands, RunningCommands running,
                      java.time.Duration stallTimeout) {
        this.running = running;
        this.stallTimeout = stallTimeout;
        this.router = router;
        this.workers = workers;
        this.commands = commands;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Request request) {
        if (request instanceof Request.Command command) {
            // Long commands run on their own threads, so a backup never takes a worker that WAL needs.
            try {
                commands.execute(() -> run(ctx, command));
            } catch (RejectedExecutionException e) {
                reply(ctx, new Reply(Status.UNAVAILABLE, "agent is busy with other commands (or shutting down); try again"));
            }
            return;
        }
        try {
            workers.execute(() -> {
                Reply reply;
                try {
                    reply = router.handle(request);
                } catch (RuntimeException | Error e) {
                    // Every request gets an answer: PostgreSQL retries a failed push; a silent one would hang it.
                    String what = request instanceof Request.Push push ? "walden push " + push.fileName()
                            : request instanceof Request.Fetch fetch ? "walden fetch " + fetch.fileName() : "walden " + request;
                    LOG.log(Level.SEVERE, what + " failed unexpectedly", e);
                    reply = new Reply(Status.INTERNAL, Replies.internalError(what, e));
                }
                reply(ctx, reply);
            });
        } catch (RejectedExecutionException e) {
            reply(ctx, new Reply(Status.UNAVAILABLE, "agent is busy (worker queue full or shutting down); try again"));
        }
    }

    /**
     * Runs one command to its one result, whatever it throws: the guard behind every command's own error handling.
     * The heartbeat stops with the result (in {@code finish}), so a client is never kept waiting by a dead command.
     */
    private void run(ChannelHandlerContext ctx, Request.Command command) {
        String commandLine = String.join(" ", command.arguments());
        ChannelCommandOutput output = new ChannelCommandOutput(ctx.channel(), commandLine, stallTimeout);
        Result result = null;
        try {
            running.started(output, commandLine);
            dev.walden.agent.command.Caller caller = ctx.channel().attr(PeerCredentialsCheck.CALLER).get();
            // Every connection passes PeerCredentialsCheck first; without its answer the caller gets no rights.
            dev.walden.agent.command.Caller who = caller == null
                    ? new dev.walden.agent.command.Caller(-2, 0, "an unknown peer", false, false) : caller;
            result = router.run(command, who, output);
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "walden " + commandLine + " failed unexpectedly", e);
            result = new Result(CommandExit.INTERNAL, Replies.internalError("walden " + commandLine, e));
        } finally {
            running.ended(output);
            output.finish(result != null ? result : new Result(CommandExit.INTERNAL, "walden " + commandLine
                    + ": the agent ended the command without an answer; nothing more was done"));
        }
    }

    private static void reply(ChannelHandlerContext ctx, Reply reply) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeReply(reply)));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.WARNING, "connection error: " + cause.getMessage());
        ctx.close();
    }
}
