package dev.walden.agent.server;

import dev.walden.protocol.ProtocolException;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Status;
import dev.walden.protocol.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;
import java.util.logging.Logger;

/** One frame body → one request. A malformed frame gets an INVALID_REQUEST reply and the connection is closed. */
final class RequestDecoder extends MessageToMessageDecoder<ByteBuf> {
    private static final Logger LOG = Logger.getLogger(RequestDecoder.class.getName());

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        try {
            out.add(WireFormat.decodeRequest(frame.nioBuffer()));
        } catch (ProtocolException e) {
            refuse(ctx, "malformed request: " + e.getMessage());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // TooLongFrameException and friends from the frame decoder land here.
        refuse(ctx, "malformed request: " + cause.getMessage());
    }

    static void refuse(ChannelHandlerContext ctx, String message) {
        LOG.warning(message);
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeReply(new Reply(Status.INVALID_REQUEST, message))))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }
}
