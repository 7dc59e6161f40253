package dev.walden.agent.postgres;

import dev.walden.agent.wal.ControlFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The checks run before a backup and at start-up: each problem says what to fix. A pure function of the facts and
 * the data directory, so every rule is tested without a server.
 */
public final class ClusterCheck {
    private ClusterCheck() {}

    /** The outcome: refusals stop a backup, warnings are said and the backup goes on. */
    public record Findings(List<String> refusals, List<String> warnings) {
        public boolean ok() {
            return refusals.isEmpty();
        }
    }

    public static Findings check(ClusterFacts facts, Path configuredDataDirectory) {
        return check(facts, configuredDataDirectory, false);
    }

    /**
     * @param standby the cluster is the standby a backup is taken from (backup-standby): it is in recovery, and its WAL
     *                is archived by its primary, so its own archive settings do not matter
     */
    public static Findings check(ClusterFacts facts, Path configuredDataDirectory, boolean standby) {
        List<String> refusals = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        if (facts.majorVersion() < 13) {
            refusals.add("PostgreSQL " + facts.majorVersion() + " is not supported; Walden backs up 13 and newer");
        }
        if (!samePath(Path.of(facts.dataDirectory()), configuredDataDirectory)) {
            refusals.add("pg-data is " + configuredDataDirectory + " but the cluster at the configured pg-host/pg-port runs in "
                    + facts.dataDirectory() + ". HINT: set pg-data = " + facts.dataDirectory() + ", or point pg-host/pg-port at the cluster in "
                    + configuredDataDirectory);
        } else {
            try {
                OptionalLong onDisk = ControlFile.systemIdentifierOfDataDirectory(configuredDataDirectory);
                if (onDisk.isEmpty()) {
                    refusals.add(configuredDataDirectory + "/global/pg_control cannot be read by the agent. HINT: run walden-agent"
                            + " as the cluster's owner (postgres), and let systemd's ReadWritePaths= include the data directory");
                } else if (onDisk.getAsLong() != facts.systemIdentifier()) {
                    refusals.add("pg-data " + configuredDataDirectory + " holds database system " + Long.toUnsignedString(onDisk.getAsLong())
                            + " but the server reports " + Long.toUnsignedString(facts.systemIdentifier())
                            + ". HINT: pg-data and pg-host/pg-port name different clusters");
                }
            } catch (IOException e) {
                refusals.add("cannot read " + configuredDataDirectory + "/global/pg_control: " + e.getMessage());
            }
        }
        if (!facts.mayRunBackup()) {
            refusals.add("the role may not run pg_backup_start. HINT: connect as a superuser, or GRANT EXECUTE ON FUNCTION"
                    + " pg_backup_start(text, boolean), pg_backup_stop(boolean) TO the pg-user role (and pg_read_all_settings)");
        }
        if (facts.walLevel().equals("minimal")) {
            refusals.add("wal_level is minimal, which cannot be used for archive recovery. HINT: set wal_level = replica in"
                    + " postgresql.conf and restart PostgreSQL");
        }
        if (!standby && facts.archiveMode().equals("off")) {
            refusals.add("archive_mode is off, so the WAL a backup needs is never archived. HINT: set archive_mode = on and"
                    + " archive_command = 'walden push %p %f', then restart PostgreSQL");
        }
        if (facts.inRecovery() && !standby) {
            refusals.add("the cluster is a standby (in recovery). HINT: point pg-* at the primary, and set backup-standby = on with"
                    + " standby-pg-* to take backups from this standby");
        }
        if (standby && !facts.inRecovery()) {
            refusals.add("standby-pg-* names a cluster that is not in recovery (a primary; was it promoted?). HINT: point standby-pg-*"
                    + " at a standby of pg-*'s cluster");
        }
        if (!standby && !facts.archiveCommand().contains("walden")) {
            warnings.add("archive_command is '" + facts.archiveCommand() + "', which does not mention walden; the backup completes"
                    + " only once its WAL is in Walden's repository");
        }
        return new Findings(refusals, warnings);
    }

    private static boolean samePath(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.normalize().equals(b.normalize());
        }
    }
}
