package dev.walden.agent.backup;

import dev.walden.agent.postgres.PostgresSettings;
import java.util.Optional;

/**
 * Where base backups are read from (backup-standby, standby-pg-*, standby-max-lag): the primary, or a standby of it on
 * this host, whose files are copied while the primary archives the WAL the backup needs.
 *
 * @param mode          off: the primary; on: the standby or nothing; prefer: the standby, else the primary, saying why
 * @param standby       how to reach the standby, and its data directory
 * @param maxLagBytes   a standby further behind its primary's WAL than this is not backed up from
 */
public record StandbySource(Mode mode, Optional<PostgresSettings> standby, long maxLagBytes) {
    public enum Mode { OFF, ON, PREFER }

    public static final StandbySource OFF = new StandbySource(Mode.OFF, Optional.empty(), 0);
}
