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
 * @param owned what a restore must never write into or delete: everything the agent keeps (judged after resolving links)
 * @param tablespacesUnder where to put every tablespace not in {@code tablespaceMap} (a drill: DIR/OID), instead of
 *                         its original location
 * @param forceTarget       restore even when the archive does not reach the target yet ({@code --force-target})
 * @param preserveArchiving keep the archive_mode the backed-up cluster had ({@code --archive-mode preserve}), for a
 *                          restore that replaces the primary; by default the restored cluster does not archive, so a
 *                          test restore never writes into production's repository
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
        dev.walden.agent.paths.OwnedPaths owned,
        Optional<Path> tablespacesUnder,
        boolean preserveArchiving,
        boolean forceTarget,
        Optional<String> standbyOf,
        Optional<Path> configTo,
        Optional<java.util.Set<Long>> onlyDatabases) {

    public RestoreRequest {
        tablespaceMap = Map.copyOf(tablespaceMap);
    }

    /** The same restore of only these databases' files (by OID); every other database's are left as empty sparse files. */
    public RestoreRequest onlyDatabases(java.util.Set<Long> oids) {
        return new RestoreRequest(dataDirectory, backupId, target, targetAction, targetTimeline, tablespaceMap, delta, force, clientPath,
                owned, tablespacesUnder, preserveArchiving, forceTarget, standbyOf, configTo, Optional.of(java.util.Set.copyOf(oids)));
    }

    /**
     * @param configTo  where the configuration files the backup kept from outside its data directory go (--config-to);
     *                  empty: into the restored data directory
     * @param standbyOf the primary_conninfo of the primary this restore becomes a standby of (--standby); empty otherwise */
    public RestoreRequest(Path dataDirectory, Optional<String> backupId, RecoveryTarget target, Optional<String> targetAction,
                          Optional<String> targetTimeline, Map<Long, Path> tablespaceMap, boolean delta, boolean force,
                          String clientPath, dev.walden.agent.paths.OwnedPaths owned, Optional<Path> tablespacesUnder,
                          boolean preserveArchiving, boolean forceTarget) {
        this(dataDirectory, backupId, target, targetAction, targetTimeline, tablespaceMap, delta, force, clientPath, owned,
                tablespacesUnder, preserveArchiving, forceTarget, Optional.empty(), Optional.empty(), Optional.empty());
    }

    public RestoreRequest(Path dataDirectory, Optional<String> backupId, RecoveryTarget target, Optional<String> targetAction,
                          Optional<String> targetTimeline, Map<Long, Path> tablespaceMap, boolean delta, boolean force,
                          String clientPath, dev.walden.agent.paths.OwnedPaths owned) {
        this(dataDirectory, backupId, target, targetAction, targetTimeline, tablespaceMap, delta, force, clientPath, owned,
                Optional.empty(), false, false);
    }

    /** A restore with archiving off: a drill's. */
    public RestoreRequest(Path dataDirectory, Optional<String> backupId, RecoveryTarget target, Optional<String> targetAction,
                          Optional<String> targetTimeline, Map<Long, Path> tablespaceMap, boolean delta, boolean force,
                          String clientPath, dev.walden.agent.paths.OwnedPaths owned, Optional<Path> tablespacesUnder) {
        this(dataDirectory, backupId, target, targetAction, targetTimeline, tablespaceMap, delta, force, clientPath, owned,
                tablespacesUnder, false, false);
    }
}
