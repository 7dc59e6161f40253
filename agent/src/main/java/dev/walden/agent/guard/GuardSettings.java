package dev.walden.agent.spill;

import java.nio.file.Path;

/** pg-wal-guard, pg-wal-max-mib and spill-path: whether and when pushes spill, and where to. */
public record SpillSettings(boolean enabled, long maxBacklogBytes, Path path) {
    public static SpillSettings off() {
        return new SpillSettings(false, Long.MAX_VALUE, Path.of("/var/lib/walden/spill"));
    }
}
