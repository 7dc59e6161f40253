package dev.walden.cli;

import dev.walden.protocol.Reply;
import dev.walden.protocol.Status;
import dev.walden.protocol.WireFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The training run for the client's AOT cache (JDK 25 {@code -XX:AOTCacheOutput}; AppCDS on JDK 21): drives the
 * real client code through push, fetch and ping against a stand-in agent on a socket of its own, so the cache can be
 * made at build or install time without a running agent. Not a user command; see packaging/src/build/make-runtime.
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        Path directory = Files.createTempDirectory("walden-aot");
        Path socket = directory.resolve("training.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread agent = new Thread(() -> serve(server), "stand-in-agent");
            agent.setDaemon(true);
            agent.start();
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            Map<String, String> env = Map.of("WALDEN_SOCKET", socket.toString());
            String[][] calls = {
                {"ping"},
                {"push", "pg_wal/000000010000000000000001", "000000010000000000000001"},
                {"fetch", "000000010000000000000002", "pg_wal/RECOVERYXLOG"},
                {"fetch", "00000002.history", "pg_wal/RECOVERYHISTORY"},
                {"push", "pg_wal/000000010000000000000003", "000000010000000000000003"},
            };
            for (String[] call : calls) {
                Walden.run(call, env, directory, quiet, quiet);
            }
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(directory);
        }
    }

    /** Answers OK, NOT_FOUND and CONFLICT in turn, so both success and failure paths are trained. */
    private static void serve(ServerSocketChannel server) {
        Status[] answers = {Status.OK, Status.OK, Status.OK, Status.NOT_FOUND, Status.CONFLICT};
        for (int i = 0; ; i++) {
            try (SocketChannel client = server.accept()) {
                ByteBuffer length = ByteBuffer.allocate(WireFormat.LENGTH_FIELD_BYTES);
                while (length.hasRemaining() && client.read(length) >= 0) {
                    // read the length field
                }
                ByteBuffer body = ByteBuffer.allocate(WireFormat.checkFrameLength(length.flip().getInt()));
                while (body.hasRemaining() && client.read(body) >= 0) {
                    // read the request
                }
                WireFormat.decodeRequest(body.flip());
                ByteBuffer reply = WireFormat.encodeReply(new Reply(answers[i % answers.length], "training"));
                while (reply.hasRemaining()) {
                    client.write(reply);
                }
            } catch (IOException e) {
                return;
            }
        }
    }
}
