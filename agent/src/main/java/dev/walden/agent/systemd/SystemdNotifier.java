package dev.walden.agent.systemd;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Tells systemd how the agent is doing ({@code sd_notify} protocol): {@code READY=1} once the socket accepts
 * requests ({@code Type=notify}), {@code STOPPING=1} on shutdown, and {@code WATCHDOG=1} at half the
 * {@code WatchdogSec} interval, sent from the event loop so that a wedged event loop stops the pings and systemd
 * restarts the agent. Without {@code NOTIFY_SOCKET} (not run by systemd) every call does nothing.
 */
public abstract class SystemdNotifier implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SystemdNotifier.class.getName());

    /** For when systemd is not watching: callers never check. */
    public static final SystemdNotifier NONE = new SystemdNotifier() {
        @Override
        public void send(String state) {}

        @Override
        public void close() {}
    };

    /** Sends one state message, e.g. {@code READY=1\nSTATUS=...}. Never throws: systemd is told, not asked. */
    public abstract void send(String state);

    @Override
    public abstract void close();

    public static SystemdNotifier fromEnvironment(Map<String, String> environment, EventLoopGroup eventLoop) {
        String socket = environment.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return NONE;
        }
        if (socket.startsWith("@")) {
            LOG.warning("NOTIFY_SOCKET " + socket + " is an abstract socket, which this agent cannot reach; "
                    + "systemd will not see readiness. HINT: use Type=simple or a path NOTIFY_SOCKET");
            return NONE;
        }
        // sd_notify sends from an unbound socket; Netty treats an unbound datagram channel as inactive unless told.
        Channel channel = new Bootstrap().group(eventLoop).channel(EpollDomainDatagramChannel.class)
                .option(ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, true)
                .handler(new ChannelInboundHandlerAdapter()).register().syncUninterruptibly().channel();
        Live notifier = new Live(channel, new DomainSocketAddress(socket));
        long watchdogMicros = parseWatchdog(environment);
        if (watchdogMicros > 0) {
            notifier.watchdog = eventLoop.next().scheduleAtFixedRate(() -> notifier.send("WATCHDOG=1"),
                    watchdogMicros / 2, watchdogMicros / 2, TimeUnit.MICROSECONDS);
        }
        return notifier;
    }

    /** WATCHDOG_USEC applies to this process only if WATCHDOG_PID is unset or names it. */
    static long parseWatchdog(Map<String, String> environment) {
        String pid = environment.get("WATCHDOG_PID");
        if (pid != null && !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return 0;
        }
        try {
            return Long.parseLong(environment.getOrDefault("WATCHDOG_USEC", "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static final class Live extends SystemdNotifier {
        private final Channel channel;
        private final DomainSocketAddress target;
        private volatile ScheduledFuture<?> watchdog;

        Live(Channel channel, DomainSocketAddress target) {
            this.channel = channel;
            this.target = target;
        }

        @Override
        public void send(String state) {
            channel.writeAndFlush(new DomainDatagramPacket(
                    Unpooled.copiedBuffer(state, StandardCharsets.UTF_8), target)).addListener(future -> {
                        if (!future.isSuccess()) {
                            LOG.warning("could not notify systemd at " + target.path() + ": " + future.cause());
                        }
                    });
        }

        @Override
        public void close() {
            ScheduledFuture<?> scheduled = watchdog;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            channel.close().syncUninterruptibly();
        }
    }
}
