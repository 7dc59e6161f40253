package dev.walden.agent.restore;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code walden restore} was asked, parsed and checked.
 *
 * @param targetTimeline {@code latest}, {@code current} or a number; empty for PostgreSQL's default (latest)
 * @param tablespaceMap new locations by tablespace OID
 * @param clientPath how PostgreSQL runs the walden client, for restore_command
 * @param protectedPaths what a restore must never write into or delete: the repository, the spool, the socket
 * @param tablespacesUnder where to put every tablespace not in {@code tablespaceMap} (a drill: DIR/OID), instead of
 *                         its original location
 */
public record RestoreRequest(
        Path dataDirectory,
        Optional<String> backupId,
        RecoveryTarget target,
        Optional<String> targetAction,
        Optional<String> targetTimeline,
        Map<Long, Path> tablespaceMap,
        boolean delta,
        boolean force,
        String clientPath,
        java.util.List<Path> protectedPaths,
        Optional<Path> tablespacesUnder) {

    public RestoreRequest {
        tablespaceMap = Map.copyOf(tablespaceMap);
        protectedPaths = java.util.List.copyOf(protectedPaths);
    }

    public RestoreRequest(Path dataDirectory, Optional<String> backupId, RecoveryTarget target, Optional<String> targetAction,
                          Optional<String> targetTimeline, Map<Long, Path> tablespaceMap, boolean delta, boolean force,
                          String clientPath, java.util.List<Path> protectedPaths) {
        this(dataDirectory, backupId, target, targetAction, targetTimeline, tablespaceMap, delta, force, clientPath, protectedPaths,
                Optional.empty());
    }
}
