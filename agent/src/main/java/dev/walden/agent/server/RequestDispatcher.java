package dev.walden.agent.server;

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

    RequestDispatcher(RequestRouter router, ExecutorService workers, ExecutorService commands) {
        this.router = router;
        this.workers = workers;
        this.commands = commands;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Request request) {
        if (request instanceof Request.Command command) {
            // Long commands run on their own threads, so a backup never takes a worker that WAL needs.
            try {
                commands.execute(() -> {
                    ChannelCommandOutput output = new ChannelCommandOutput(ctx.channel());
                    dev.walden.agent.command.Caller caller = ctx.channel().attr(PeerCredentialsCheck.CALLER).get();
                    // Every connection passes PeerCredentialsCheck first; without its answer the caller gets no rights.
                    output.finish(router.run(command, caller == null ? new dev.walden.agent.command.Caller(-2, 0, "an unknown peer", false, false)
                            : caller, output));
                });
            } catch (RejectedExecutionException e) {
                reply(ctx, new Reply(Status.UNAVAILABLE, "agent is busy with other commands (or shutting down); try again"));
            }
            return;
        }
        try {
            workers.execute(() -> reply(ctx, router.handle(request)));
        } catch (RejectedExecutionException e) {
            reply(ctx, new Reply(Status.UNAVAILABLE, "agent is busy (worker queue full or shutting down); try again"));
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
