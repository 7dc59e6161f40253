package dev.walden.agent.server;

import dev.walden.agent.command.CommandOutput;
import dev.walden.protocol.Output;
import dev.walden.protocol.Result;
import dev.walden.protocol.WireFormat;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A running command's output to its client. Each write waits until the frame is written (at most one frame in
 * flight: bounded memory whatever the command prints); a heartbeat goes out from the event loop every few seconds
 * so that the client's silence timeout never fires while the agent works; a closed connection cancels the command.
 */
final class ChannelCommandOutput implements CommandOutput {
    static final int HEARTBEAT_SECONDS = 5;
    /** Text is sent in pieces that fit a frame's string, cut on character boundaries. */
    private static final int PIECE_BYTES = 3 * 1024;

    private final Channel channel;
    private final ScheduledFuture<?> heartbeat;
    private volatile boolean cancelled;

    ChannelCommandOutput(Channel channel) {
        this.channel = channel;
        channel.closeFuture().addListener(future -> cancelled = true);
        this.heartbeat = channel.eventLoop().scheduleAtFixedRate(() -> {
            if (channel.isActive()) {
                channel.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeOutput(Output.heartbeat())));
            }
        }, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void out(String text) {
        send(Output.Stream.STDOUT, text);
    }

    @Override
    public void err(String text) {
        send(Output.Stream.STDERR, text);
    }

    @Override
    public void progress(String line) {
        send(Output.Stream.PROGRESS, line);
    }

    @Override
    public boolean cancelled() {
        return cancelled || !channel.isActive();
    }

    private final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();

    /** Sends the command's one result and closes; a second call (the agent stopping, then the command) does nothing. */
    void finish(Result result) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        heartbeat.cancel(false);
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeResult(result))).awaitUninterruptibly(30, TimeUnit.SECONDS);
        }
        channel.close();
    }

    private void send(Output.Stream stream, String text) {
        int start = 0;
        while (start < text.length() && channel.isActive()) {
            int end = pieceEnd(text, start);
            channel.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeOutput(new Output(stream, text.substring(start, end)))))
                    .awaitUninterruptibly(60, TimeUnit.SECONDS);
            start = end;
        }
    }

    private static int pieceEnd(String text, int start) {
        int end = Math.min(text.length(), start + PIECE_BYTES / 3);
        // Up to 3 bytes per char of the BMP, 4 per surrogate pair: this many chars always fit; do not split a pair.
        while (end < text.length() && text.substring(start, end).getBytes(StandardCharsets.UTF_8).length < PIECE_BYTES - 4
                && end - start < PIECE_BYTES) {
            end = Math.min(text.length(), end + 64);
        }
        if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return end;
    }
}
