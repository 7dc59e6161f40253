package dev.walden.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a backup copies from a data directory: what pg_basebackup copies, nothing the server rebuilds. */
class DataDirectoryScanTest {
    @TempDir
    Path data;
    @TempDir
    Path tablespace;

    private void file(Path root, String path, String content) throws Exception {
        Files.createDirectories(root.resolve(path).getParent());
        Files.writeString(root.resolve(path), content);
    }

    @Test
    void skipsWhatPostgresRebuildsAndKeepsTheRest() throws Exception {
        file(data, "PG_VERSION", "15\n");
        file(data, "global/pg_control", "control");
        file(data, "base/5/16384", "table");
        file(data, "base/5/16384_fsm", "fsm");
        file(data, "base/5/16390", "unlogged main fork");
        file(data, "base/5/16390_init", "unlogged init fork");
        file(data, "base/5/t3_16400", "temporary relation");
        file(data, "base/5/pg_internal.init", "relcache");
        file(data, "base/pgsql_tmp/pgsql_tmp123.0", "sort spill");
        file(data, "pg_wal/000000010000000000000001", "wal");
        file(data, "pg_wal/archive_status/000000010000000000000001.done", "");
        file(data, "pg_stat_tmp/global.stat", "stats");
        file(data, "pg_replslot/slot/state", "slot");
        file(data, "pg_subtrans/0000", "subtrans");
        file(data, "postmaster.pid", "123");
        file(data, "postmaster.opts", "opts");
        file(data, "backup_label", "old label");
        file(data, "postgresql.auto.conf", "# auto");
        file(tablespace, "PG_15_202209061/5/16500", "in a tablespace");
        Files.createDirectories(data.resolve("pg_tblspc"));
        Files.createSymbolicLink(data.resolve("pg_tblspc/16499"), tablespace);

        DataDirectoryScan.Listing listing = DataDirectoryScan.scan(data,
                List.of(new Manifest.Tablespace(16499, "ts", tablespace.toString())));
        Set<String> files = listing.files().stream().map(DataDirectoryScan.ListedFile::path).collect(Collectors.toSet());
        assertEquals(Set.of("PG_VERSION", "global/pg_control", "base/5/16384", "base/5/16384_fsm", "base/5/16390_init",
                "postgresql.auto.conf", "pg_tblspc/16499/PG_15_202209061/5/16500"), files);
        Set<String> directories = listing.directories().stream().map(Manifest.Directory::path).collect(Collectors.toSet());
        assertTrue(directories.containsAll(Set.of("pg_wal", "pg_wal/archive_status", "pg_stat_tmp", "pg_replslot", "pg_subtrans",
                "pg_tblspc", "pg_tblspc/16499", "pg_tblspc/16499/PG_15_202209061/5", "base/5")), directories.toString());
        assertTrue(directories.stream().noneMatch(d -> d.startsWith("pg_replslot/")), "slot contents are not kept");
        assertEquals(listing.files().stream().mapToLong(DataDirectoryScan.ListedFile::size).sum(), listing.bytes());
    }
}
