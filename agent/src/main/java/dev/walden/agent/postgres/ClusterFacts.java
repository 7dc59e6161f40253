package dev.walden.agent.postgres;

import java.util.List;

/**
 * What a running cluster says about itself, read once per backup.
 *
 * @param versionNumber {@code server_version_num}, e.g. 150010
 * @param timeline the primary's current timeline (a standby's: that of its latest restartpoint)
 */
public record ClusterFacts(
        String dataDirectory,
        long systemIdentifier,
        int versionNumber,
        String walLevel,
        String archiveMode,
        String archiveCommand,
        long walSegmentSize,
        boolean inRecovery,
        long timeline,
        boolean mayRunBackup,
        List<Tablespace> tablespaces) {

    /** A tablespace other than pg_default and pg_global: its OID (the name of its link in pg_tblspc) and location. */
    public record Tablespace(long oid, String name, String location) {}

    public ClusterFacts {
        tablespaces = List.copyOf(tablespaces);
    }

    /** Major version, e.g. 15. */
    public int majorVersion() {
        return versionNumber / 10000;
    }
}
