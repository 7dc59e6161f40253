package dev.walden.cli;

import dev.walden.protocol.Output;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Result;
import dev.walden.protocol.Status;
import dev.walden.protocol.Request;
import dev.walden.protocol.WireFormat;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** One request over the agent's Unix domain socket: connect, write the frame, read the reply (or a command's frames), close. */
final class AgentConnection {
    private AgentConnection() {}

    static Reply exchange(Path socketPath, Request request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socketPath));
            ByteBuffer frame = WireFormat.encodeRequest(request);
            try {
                while (frame.hasRemaining()) {
                    channel.write(frame);
                }
            } catch (IOException writeFailed) {
                // The agent may refuse a connection before reading it (peer credentials) and close it; its reply
                // is already in our receive buffer, and says more than "broken pipe".
                try {
                    return readReply(channel);
                } catch (IOException | RuntimeException noReply) {
                    throw writeFailed;
                }
            }
            return readReply(channel);
        }
    }

    /** Where a running command's frames go as they arrive. */
    interface OutputSink {
        void accept(Output output);
    }

    /**
     * Sends a command and relays its output frames until its result arrives. {@code onFrame} runs after every frame,
     * so the caller's silence timeout starts again.
     */
    static Result command(Path socketPath, Request.Command request, OutputSink sink, Runnable onFrame) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socketPath));
            ByteBuffer frame = WireFormat.encodeRequest(request);
            while (frame.hasRemaining()) {
                channel.write(frame);
            }
            while (true) {
                Object received = WireFormat.decodeAgentFrame(readFrame(channel));
                onFrame.run();
                if (received instanceof Output output) {
                    sink.accept(output);
                } else if (received instanceof Result result) {
                    return result;
                } else if (received instanceof Reply reply) {
                    // The agent refused the request before running it (busy, malformed, not allowed).
                    return new Result(reply.status() == Status.OK ? 0 : 1, reply.message());
                }
            }
        }
    }

    private static ByteBuffer readFrame(SocketChannel channel) throws IOException {
        ByteBuffer lengthField = ByteBuffer.allocate(WireFormat.LENGTH_FIELD_BYTES);
        readFully(channel, lengthField);
        int length = WireFormat.checkFrameLength(lengthField.flip().getInt());
        ByteBuffer body = ByteBuffer.allocate(length);
        readFully(channel, body);
        return body.flip();
    }

    private static Reply readReply(SocketChannel channel) throws IOException {
        return WireFormat.decodeReply(readFrame(channel));
    }

    private static void readFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("agent closed the connection before replying");
            }
        }
    }
}
