package dev.walden.agent.pipeline;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Supplies an object's original bytes as it is written: what a backup streams from one or several files. */
@FunctionalInterface
public interface ObjectSource {
    /** Adds bytes to {@code buffer} (never past its limit); returns false once there are none left. */
    boolean fill(ByteBuffer buffer) throws IOException;
}
