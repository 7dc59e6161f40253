package dev.walden.agent.postgres;

import java.util.List;
import java.util.Optional;

/**
 * Everything Walden does differently by PostgreSQL major version, in one table. A major not in it is unknown: its WAL
 * is still archived when its header is otherwise sane (a server upgraded before its backup tool must never stop
 * archiving), but backups and restores of it are refused until Walden knows it.
 *
 * @param major              e.g. 17
 * @param walPageMagic       {@code XLOG_PAGE_MAGIC} in {@code access/xlog_internal.h}, the first two bytes of every WAL page
 * @param tested             whether the test suite runs this major against a real server (docs/install.md)
 * @param backupStart        the backup API's start call, with the label and fast-checkpoint parameters
 * @param backupStop         its stop call, returning LSN, backup_label and tablespace_map
 * @param walDirectories     the directories under pg_wal that a base backup recreates empty (pg_basebackup does the same)
 * @param checksumsByDefault whether initdb enables data checksums unless told not to
 */
public record PostgresMajor(int major, int walPageMagic, boolean tested, String backupStart, String backupStop,
                            List<String> walDirectories, boolean checksumsByDefault) {

    private static final String START_15 = "SELECT pg_backup_start(?, true)::text";
    /** wait_for_archive false: the agent waits for the WAL itself, with its own timeout and a message naming the file. */
    private static final String STOP_15 = "SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)";
    private static final String START_12 = "SELECT pg_start_backup(?, true, false)::text";
    private static final String STOP_12 = "SELECT lsn::text, labelfile, spcmapfile FROM pg_stop_backup(false, false)";
    private static final List<String> ARCHIVE_STATUS = List.of("pg_wal/archive_status");
    /** PostgreSQL 17 keeps WAL summaries (summarize_wal, for incremental backups) in pg_wal/summaries. */
    private static final List<String> WITH_SUMMARIES = List.of("pg_wal/archive_status", "pg_wal/summaries");

    /** The majors Walden knows, oldest first. 15 to 18 are tested with real servers; 12 to 14 are kept for archiving. */
    public static final List<PostgresMajor> KNOWN = List.of(
            new PostgresMajor(12, 0xD101, false, START_12, STOP_12, ARCHIVE_STATUS, false),
            new PostgresMajor(13, 0xD106, false, START_12, STOP_12, ARCHIVE_STATUS, false),
            new PostgresMajor(14, 0xD10D, false, START_12, STOP_12, ARCHIVE_STATUS, false),
            new PostgresMajor(15, 0xD110, true, START_15, STOP_15, ARCHIVE_STATUS, false),
            new PostgresMajor(16, 0xD113, true, START_15, STOP_15, ARCHIVE_STATUS, false),
            new PostgresMajor(17, 0xD116, true, START_15, STOP_15, WITH_SUMMARIES, false),
            new PostgresMajor(18, 0xD118, true, START_15, STOP_15, WITH_SUMMARIES, true));

    /** The newest major Walden knows. */
    public static PostgresMajor newest() {
        return KNOWN.get(KNOWN.size() - 1);
    }

    /** The major of {@code server_version_num} (e.g. 170002 → 17), if known. */
    public static Optional<PostgresMajor> ofVersionNumber(int versionNumber) {
        return of(versionNumber / 10000);
    }

    public static Optional<PostgresMajor> of(int major) {
        return KNOWN.stream().filter(m -> m.major == major).findFirst();
    }

    /** The major whose WAL pages start with {@code magic}, if known. */
    public static Optional<PostgresMajor> ofWalPageMagic(int magic) {
        return KNOWN.stream().filter(m -> m.walPageMagic == magic).findFirst();
    }

    /**
     * Whether {@code magic} looks like a newer major's: PostgreSQL raises XLOG_PAGE_MAGIC in its 0xD1xx range with
     * every major release, so a value above the newest known one and still in that range is a release Walden has not
     * met yet; anything else is not a WAL page.
     */
    public static boolean isNewerWalPageMagic(int magic) {
        return magic > newest().walPageMagic && (magic & 0xFF00) == 0xD100;
    }

    /** "PostgreSQL 15, 16, 17 and 18", for messages and docs. */
    public static String testedList() {
        List<String> majors = KNOWN.stream().filter(PostgresMajor::tested).map(m -> Integer.toString(m.major)).toList();
        return String.join(", ", majors.subList(0, majors.size() - 1)) + " and " + majors.get(majors.size() - 1);
    }

    /**
     * Refuses a major that backups and restores do not know, with what to do.
     *
     * @param what e.g. "back up", for the message
     */
    public static PostgresMajor require(int versionNumber, String what) throws UnknownMajorException {
        return ofVersionNumber(versionNumber).orElseThrow(() -> new UnknownMajorException("Walden cannot " + what
                + " PostgreSQL " + (versionNumber / 10000) + ": it knows " + KNOWN.get(0).major + " to " + newest().major
                + " (tested: " + testedList() + "). WAL of a newer major is still archived. HINT: upgrade Walden"));
    }

    /** A PostgreSQL major that Walden does not know. */
    public static final class UnknownMajorException extends Exception {
        public UnknownMajorException(String message) {
            super(message);
        }
    }
}
