package dev.walden.agent.guard;

import java.nio.file.Path;

/**
 * pg-wal-guard, pg-wal-max-mib and spill-path: what a push does when the repository fails and pg_wal is full, when,
 * and where the guard keeps what it spilled and its journal of what it dropped.
 */
public record GuardSettings(Mode mode, long maxBacklogBytes, Path path) {
    /** off: fail the push; spill: store it in spill-path (then drop when that fails too); drop: acknowledge it unstored. */
    public enum Mode { OFF, SPILL, DROP }

    public static GuardSettings off() {
        return new GuardSettings(Mode.OFF, Long.MAX_VALUE, Path.of("/var/lib/walden/spill"));
    }

    public boolean enabled() {
        return mode != Mode.OFF;
    }
}
