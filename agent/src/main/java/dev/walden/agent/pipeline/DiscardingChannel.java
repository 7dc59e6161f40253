package dev.walden.agent.pipeline;

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** Where a verifying read writes: the bytes are checked on their way and dropped. */
final class DiscardingChannel implements WritableByteChannel {
    static final DiscardingChannel INSTANCE = new DiscardingChannel();

    private DiscardingChannel() {}

    @Override
    public int write(ByteBuffer bytes) {
        int count = bytes.remaining();
        bytes.position(bytes.limit());
        return count;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {}
}
