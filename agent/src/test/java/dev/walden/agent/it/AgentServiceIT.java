package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.Agent;
import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.RunningAgent;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent as systemd runs it: readiness and watchdog notifications, and who may connect. */
class AgentServiceIT {
    @TempDir
    Path dir;

    @Test
    void tellsSystemdItIsReadyPingsTheWatchdogAndSaysWhenStopping() throws Exception {
        Path notifySocket = dir.resolve("notify");
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        EventLoopGroup loop = new EpollEventLoopGroup(1);
        try {
            new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket packet) {
                            received.add(packet.content().toString(StandardCharsets.UTF_8));
                        }
                    })
                    .bind(new DomainSocketAddress(notifySocket.toString())).syncUninterruptibly();
            AgentConfig config = AgentConfig.load(null, Map.of(), Map.of(
                    "socket-path", dir.resolve("walden.sock").toString(), "repo-path", dir.resolve("repo").toString(),
                    "spool-path", dir.resolve("spool").toString()));
            try (Agent agent = Agent.start(config, Map.of("NOTIFY_SOCKET", notifySocket.toString(), "WATCHDOG_USEC", "200000"))) {
                String ready = received.poll(10, TimeUnit.SECONDS);
                assertTrue(ready != null && ready.startsWith("READY=1\n") && ready.contains("MAINPID=" + ProcessHandle.current().pid()), ready);
                assertEquals("WATCHDOG=1", received.poll(10, TimeUnit.SECONDS));
            }
            String last;
            do {
                last = received.poll(10, TimeUnit.SECONDS);
            } while ("WATCHDOG=1".equals(last));
            assertEquals("STOPPING=1", last);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void refusesUsersThatAreNotAllowedAndAdmitsListedOnes() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")) && Files.readString(Path.of("/etc/passwd")).contains("\npostgres:"),
                "needs root and a postgres user to connect as another uid");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), Map.of())) {
            ProcessResult refused = asPostgres(ClientLauncher.write(dir.resolve("agent"), agent.socket()), "ping");
            assertEquals(1, refused.exitCode());
            assertTrue(refused.output().contains("refused connection from uid"), refused.output());
            ProcessResult fetch = asPostgres(dir.resolve("agent/walden"), "fetch", "000000010000000000000001", "/tmp/x");
            assertEquals(126, fetch.exitCode(), "a refused fetch stops recovery rather than ending it");
        }
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent2"), Map.of("allowed-users", "postgres"))) {
            ProcessResult admitted = asPostgres(ClientLauncher.write(dir.resolve("agent2"), agent.socket()), "ping");
            assertEquals(0, admitted.exitCode(), admitted.output());
        }
    }

    private record ProcessResult(int exitCode, String output) {}

    private static ProcessResult asPostgres(Path walden, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("runuser", "-u", "postgres", "--", walden.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new ProcessResult(process.exitValue(), output);
    }
}
