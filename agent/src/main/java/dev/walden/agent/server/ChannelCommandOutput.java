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
 *
 * <p>A heartbeat proves the agent alive, not the command moving: a command that reports nothing (no output, no
 * progress line) for {@code command-stall-timeout} is stopped here. Its client gets a result naming the step it was
 * on, the log gets where its thread was, and the command sees {@link #cancelled()} and stops at its next check.
 */
final class ChannelCommandOutput implements CommandOutput {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ChannelCommandOutput.class.getName());
    static final int HEARTBEAT_SECONDS = 5;
    /** Text is sent in pieces that fit a frame's string, cut on character boundaries. */
    private static final int PIECE_BYTES = 3 * 1024;

    private final Channel channel;
    private final ScheduledFuture<?> heartbeat;
    private final String commandLine;
    private final long stallNanos;
    /** The command's own thread: its stack is what the log shows when it stalls. */
    private final Thread thread = Thread.currentThread();
    private volatile boolean cancelled;
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile String lastStep = "starting";

    /** Made on the command's own thread, which it watches. */
    ChannelCommandOutput(Channel channel, String commandLine, java.time.Duration stallTimeout) {
        this.channel = channel;
        this.commandLine = commandLine;
        this.stallNanos = stallTimeout.toNanos();
        channel.closeFuture().addListener(future -> cancelled = true);
        this.heartbeat = channel.eventLoop().scheduleAtFixedRate(() -> {
            if (System.nanoTime() - lastProgressNanos > stallNanos) {
                stalled();
            } else if (channel.isActive()) {
                channel.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeOutput(Output.heartbeat())));
            }
        }, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
    }

    private void stalled() {
        cancelled = true;
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - lastProgressNanos);
        String message = "walden " + commandLine + " made no progress for " + seconds + " s (its last step: " + lastStep
                + "); the agent stopped it. Nothing it had not finished is listed or offered for restore. HINT: the agent's"
                + " log shows where it was stuck (journalctl -u walden-agent); if that step is legitimately this slow, raise"
                + " command-stall-timeout";
        Throwable where = new Throwable("where 'walden " + commandLine + "' was stuck");
        where.setStackTrace(thread.getStackTrace());
        LOG.log(java.util.logging.Level.WARNING, message, where);
        finish(new Result(dev.walden.agent.command.CommandExit.stopped(commandLine.split(" ", 2)[0]), message));
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
        lastStep = line;
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
        if (channel.eventLoop().inEventLoop()) {
            // Never wait on the event loop: the result goes out, then the connection closes.
            channel.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeResult(result)))
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
        }
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.wrappedBuffer(WireFormat.encodeResult(result))).awaitUninterruptibly(30, TimeUnit.SECONDS);
        }
        channel.close();
    }

    private void send(Output.Stream stream, String text) {
        lastProgressNanos = System.nanoTime();
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
