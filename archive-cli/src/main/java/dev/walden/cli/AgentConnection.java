package dev.walden.cli;

import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.WireFormat;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** One request over the agent's Unix domain socket: connect, write the frame, read the reply, close. */
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

    private static Reply readReply(SocketChannel channel) throws IOException {
        ByteBuffer lengthField = ByteBuffer.allocate(WireFormat.LENGTH_FIELD_BYTES);
        readFully(channel, lengthField);
        int length = WireFormat.checkFrameLength(lengthField.flip().getInt());
        ByteBuffer body = ByteBuffer.allocate(length);
        readFully(channel, body);
        return WireFormat.decodeReply(body.flip());
    }

    private static void readFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("agent closed the connection before replying");
            }
        }
    }
}
