package dev.walden.agent.server;

import dev.walden.agent.command.RequestRouter;
import dev.walden.protocol.WireFormat;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Listens on the Unix domain socket. The pipeline, per connection:
 *
 * <ol>
 *   <li>{@code peer-credentials}: admits only allowed uids (SO_PEERCRED), then removes itself</li>
 *   <li>{@code frame-decoder}: splits the byte stream on the u32 length field, refusing frames over the limit</li>
 *   <li>{@code request-decoder}: bytes → {@link dev.walden.protocol.Request}; malformed frames get a reply and a close</li>
 *   <li>{@code dispatcher}: hands each request to the worker pool and writes the reply when it is done; long
 *       commands (backup, restore) go to their own pool and stream output frames until their result</li>
 * </ol>
 *
 * The event loop only decodes and encodes; files and storage are touched on worker threads.
 */
public final class AgentServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AgentServer.class.getName());
    private final Path socketPath;
    private final EventLoopGroup eventLoop;
    private final Channel serverChannel;
    private final RunningCommands running;

    private AgentServer(Path socketPath, EventLoopGroup eventLoop, Channel serverChannel, RunningCommands running) {
        this.running = running;
        this.socketPath = socketPath;
        this.eventLoop = eventLoop;
        this.serverChannel = serverChannel;
    }

    public static AgentServer start(Path socketPath, int socketMode, PeerPolicy peers, RequestRouter router,
                                    ExecutorService workers, ExecutorService commands, java.time.Duration stallTimeout)
            throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty's epoll transport is not available on this system: " + Epoll.unavailabilityCause());
        }
        Files.createDirectories(socketPath.getParent());
        removeStaleSocket(socketPath);
        EventLoopGroup eventLoop = new EpollEventLoopGroup(1);
        RunningCommands running = new RunningCommands();
        try {
            Channel channel = new ServerBootstrap()
                    .group(eventLoop)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                        @Override
                        protected void initChannel(DomainSocketChannel ch) {
                            ch.pipeline()
                                    .addLast("peer-credentials", new PeerCredentialsCheck(peers))
                                    .addLast("frame-decoder", new LengthFieldBasedFrameDecoder(
                                            WireFormat.MAX_FRAME_LENGTH, 0, WireFormat.LENGTH_FIELD_BYTES, 0, WireFormat.LENGTH_FIELD_BYTES))
                                    .addLast("request-decoder", new RequestDecoder())
                                    .addLast("dispatcher", new RequestDispatcher(router, workers, commands, running, stallTimeout));
                        }
                    })
                    .bind(new DomainSocketAddress(socketPath.toString()))
                    .syncUninterruptibly()
                    .channel();
            Files.setPosixFilePermissions(socketPath, permissions(socketMode));
            LOG.info("listening on " + socketPath);
            return new AgentServer(socketPath, eventLoop, channel, running);
        } catch (RuntimeException | IOException e) {
            eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e instanceof IOException io ? io : new IOException("cannot listen on " + socketPath + ": " + e.getMessage(), e);
        }
    }

    /** A socket file left by a crashed agent blocks bind; one that still answers means another agent runs. */
    private static void removeStaleSocket(Path socketPath) throws IOException {
        if (!Files.exists(socketPath)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socketPath));
            throw new IOException("another agent is already listening on " + socketPath);
        } catch (java.net.SocketException | java.nio.file.NoSuchFileException stale) {
            Files.deleteIfExists(socketPath);
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }

    public Path socketPath() {
        return socketPath;
    }

    /** The event loop, shared with components that need non-blocking I/O of their own (systemd notification). */
    public EventLoopGroup eventLoop() {
        return eventLoop;
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        running.agentStopping();
        eventLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.warning("could not remove socket " + socketPath + ": " + e.getMessage());
        }
    }
}
