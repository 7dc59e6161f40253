package dev.walden.agent.server;

import dev.walden.protocol.Reply;
import dev.walden.protocol.Status;
import dev.walden.protocol.WireFormat;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import java.util.logging.Logger;

/** First in the pipeline: admits a connection only if its peer's uid is allowed, then steps aside. */
final class PeerCredentialsCheck extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = Logger.getLogger(PeerCredentialsCheck.class.getName());
    /** Who is on the other end, for the commands that check their caller's rights. */
    static final io.netty.util.AttributeKey<dev.walden.agent.command.Caller> CALLER = io.netty.util.AttributeKey.valueOf("walden.caller");
    private final PeerPolicy policy;

    PeerCredentialsCheck(PeerPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        PeerCredentials peer;
        try {
            peer = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
        } catch (IOException e) {
            refuse(ctx, "cannot read the connecting process's credentials: " + e.getMessage());
            return;
        }
        if (!policy.allows(peer.uid())) {
            refuse(ctx, "refused connection from uid " + peer.uid() + " (pid " + peer.pid()
                    + "): not the agent's user and not in allowed-users (" + policy.describe()
                    + "). HINT: run walden as the agent's user, or add this user to allowed-users");
            return;
        }
        ctx.channel().attr(CALLER).set(policy.caller(peer.uid(), peer.pid()));
        ctx.pipeline().remove(this);
        super.channelActive(ctx);
    }

    private static void refuse(ChannelHandlerContext ctx, String message) {
        LOG.warning(message);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeReply(new Reply(Status.PERMISSION_DENIED, message))))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
