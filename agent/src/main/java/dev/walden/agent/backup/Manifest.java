package dev.walden.agent.backup;

import java.util.List;

/**
 * Everything a restore needs about one backup: its summary, the files PostgreSQL's backup API returned, the
 * tablespaces, and for every file of the data directory its attributes, checksum and where its bytes are stored.
 * Specified in docs/format.md ("Backup manifest").
 */
public record Manifest(
        BackupSummary summary,
        String backupLabel,
        String tablespaceMap,
        List<Tablespace> tablespaces,
        List<Directory> directories,
        List<FileEntry> files,
        List<DataObject> objects,
        List<TableCount> rowCounts) {

    public static final String FORMAT = "walden-backup-manifest";
    /** Version 2 puts the files last, in path order, so that they are written and read as a stream; 1 is still read. */
    public static final int VERSION = 2;

    public Manifest {
        tablespaces = List.copyOf(tablespaces);
        directories = List.copyOf(directories);
        files = List.copyOf(files);
        objects = List.copyOf(objects);
        rowCounts = List.copyOf(rowCounts);
    }

    public Manifest(BackupSummary summary, String backupLabel, String tablespaceMap, List<Tablespace> tablespaces,
                    List<Directory> directories, List<FileEntry> files, List<DataObject> objects) {
        this(summary, backupLabel, tablespaceMap, tablespaces, directories, files, objects, List.of());
    }

    /** Everything but the files: what a reader holds in memory while the files stream past. */
    public Header header() {
        return new Header(summary, backupLabel, tablespaceMap, tablespaces, directories, objects, rowCounts, files.size());
    }

    /**
     * A manifest's parts other than its files, which are few whatever the size of the cluster.
     *
     * @param fileCount how many files follow (for progress; a reader does not trust it for anything else)
     */
    /**
     * @param takenFrom     {@code primary}, or which standby the files were copied from (backup-standby)
     * @param pgControlLast from a standby: global/pg_control as read after every other file (base64), which a restore
     *                      writes in place of the copy made during the walk. PostgreSQL takes the end of a backup taken
     *                      during recovery from that file's minimum recovery point, so it must be the last file read, as
     *                      pg_basebackup sends it last; empty for a backup of a primary
     */
    public record Header(BackupSummary summary, String backupLabel, String tablespaceMap, List<Tablespace> tablespaces,
                         List<Directory> directories, List<DataObject> objects, List<TableCount> rowCounts, long fileCount,
                         List<ConfigFile> configFiles, String takenFrom, String pgControlLast) {
        public Header {
            tablespaces = List.copyOf(tablespaces);
            directories = List.copyOf(directories);
            objects = List.copyOf(objects);
            rowCounts = List.copyOf(rowCounts);
            configFiles = List.copyOf(configFiles);
        }

        public Header(BackupSummary summary, String backupLabel, String tablespaceMap, List<Tablespace> tablespaces,
                      List<Directory> directories, List<DataObject> objects, List<TableCount> rowCounts, long fileCount) {
            this(summary, backupLabel, tablespaceMap, tablespaces, directories, objects, rowCounts, fileCount, List.of(), "primary", "");
        }

        public Header(BackupSummary summary, String backupLabel, String tablespaceMap, List<Tablespace> tablespaces,
                      List<Directory> directories, List<DataObject> objects, List<TableCount> rowCounts, long fileCount,
                      List<ConfigFile> configFiles) {
            this(summary, backupLabel, tablespaceMap, tablespaces, directories, objects, rowCounts, fileCount, configFiles, "primary", "");
        }
    }

    /**
     * A configuration file the server read from outside its data directory (Debian's /etc/postgresql/15/main/), kept in
     * the manifest whole: a restored data directory would otherwise have no postgresql.conf or pg_hba.conf.
     *
     * @param role {@code config_file}, {@code hba_file}, {@code ident_file}, or {@code include} (a file postgresql.conf
     *             includes)
     * @param path where the server read it, absolute
     */
    public record ConfigFile(String role, String path, String text) {
        /** Config files are a few KiB; one larger than this is not one, and is not kept. */
        public static final int MAX_BYTES = 1 << 20;
    }

    /**
     * The exact row count of one of the largest tables of a database, taken just before {@code pg_backup_stop}, which
     * a restore drill compares with what it recovered.
     */
    public record TableCount(String database, String schema, String table, long rows) {}

    /** A manifest without the list of this backup's own objects (as written before that list existed). */
    public Manifest(BackupSummary summary, String backupLabel, String tablespaceMap, List<Tablespace> tablespaces,
                    List<Directory> directories, List<FileEntry> files) {
        this(summary, backupLabel, tablespaceMap, tablespaces, directories, files, List.of(), List.of());
    }

    /**
     * One data object this backup stored: its number, the length of its original stream and what it takes in the
     * repository, so that {@code walden verify --quick} can spot a truncated object without reading it.
     */
    public record DataObject(int number, long originalBytes, long storedBytes) {}

    /** A tablespace: its OID (its link's name in pg_tblspc) and where it was when backed up. */
    public record Tablespace(long oid, String name, String location) {}

    /** A directory to recreate, relative to the data directory (tablespace contents under pg_tblspc/OID/). */
    public record Directory(String path, int mode) {}

    /**
     * A file, relative to the data directory (tablespace contents under {@code pg_tblspc/OID/}).
     *
     * @param sha256 hex SHA-256 of its bytes as backed up
     * @param backup the backup whose object holds the bytes: this one, or an ancestor's
     * @param object the object's number within that backup; -1 for an empty file, which has none
     * @param offset where the file's bytes start in the object's original stream
     * @param blocks for a large file, its block map: then its bytes are assembled from the map's parts, and
     *               {@code backup}, {@code object} and {@code offset} are unused
     */
    public record FileEntry(String path, long size, long mtimeNanos, int mode, String sha256, String backup, int object,
                            long offset, java.util.Optional<Blocks> blocks) {
        public FileEntry(String path, long size, long mtimeNanos, int mode, String sha256, String backup, int object, long offset) {
            this(path, size, mtimeNanos, mode, sha256, backup, object, offset, java.util.Optional.empty());
        }
    }

    /**
     * A large file cut into blocks of {@code size} bytes (the last may be shorter), with a 64-bit checksum of each
     * block, so that an incremental stores only the blocks whose checksum changed; {@code parts} say where each run of
     * blocks is stored, in block order, covering every block once; {@code rangeSha256} is the SHA-256 of each 128 MiB
     * range of the file, which a restore checks. {@code summarized}: an incremental took some blocks from its parent
     * unread, as WAL summaries said they had not changed, so there are no range hashes; a restore checks every block
     * of such a file against its checksum instead.
     */
    public record Blocks(int size, byte[] checksums, List<Part> parts, List<String> rangeSha256, boolean summarized) {
        public Blocks {
            parts = List.copyOf(parts);
            rangeSha256 = List.copyOf(rangeSha256);
        }

        public Blocks(int size, byte[] checksums, List<Part> parts, List<String> rangeSha256) {
            this(size, checksums, parts, rangeSha256, false);
        }

        public int count() {
            return checksums.length / 8;
        }

        public long checksum(int block) {
            return java.nio.ByteBuffer.wrap(checksums).getLong(block * 8);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Blocks b && b.size == size && java.util.Arrays.equals(b.checksums, checksums) && b.parts.equals(parts)
                    && b.rangeSha256.equals(rangeSha256) && b.summarized == summarized;
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(checksums);
        }
    }

    /** Blocks {@code first .. first+count-1} of a file, stored from {@code offset} in a backup's data object. */
    public record Part(int first, int count, String backup, int object, long offset) {}
}
