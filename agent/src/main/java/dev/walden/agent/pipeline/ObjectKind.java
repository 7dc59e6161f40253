package dev.walden.agent.pipeline;

import dev.walden.agent.wal.WalFileKind;

/**
 * What an archived object holds, stored in its header (docs/format.md): the WAL kinds, whose codes are
 * {@link WalFileKind}'s, and the parts of a base backup. Codes are stored: never renumber.
 */
public enum ObjectKind {
    SEGMENT(1),
    PARTIAL_SEGMENT(2),
    TIMELINE_HISTORY(3),
    BACKUP_LABEL(4),
    /** Bytes of data-directory files: one large file, or a bundle of small ones. */
    BACKUP_DATA(5),
    /** A base backup's manifest. */
    BACKUP_MANIFEST(6),
    /** The commit record written last, that makes a backup complete. */
    BACKUP_COMMIT(7),
    /** A DBA's hold on a backup, which retention honours. */
    BACKUP_HOLD(8),
    /** The result of a {@code walden verify} run. */
    VERIFY_REPORT(9),
    /** The report of one restore drill. */
    DRILL_REPORT(10),
    /** The record of one scheduled job's run. */
    RUN_RECORD(11),
    /** A logical dump's bytes: pg_dump's custom format, or pg_dumpall --globals-only's SQL. */
    DUMP_DATA(12),
    /** The record written last, that makes a dump complete. */
    DUMP_COMMIT(13),
    /** The marker an expiry writes before it deletes a backup's commit record: what remains is a leftover. */
    BACKUP_EXPIRING(14),
    /** A known text encrypted with one key, which proves at start-up that the keyring can read the repository. */
    KEY_CHECK(15),
    /** The record of WAL that pg-wal-guard = drop acknowledged without storing: a span recovery cannot cross. */
    WAL_GAP(16);

    public final int code;

    ObjectKind(int code) {
        this.code = code;
    }

    public static ObjectKind of(WalFileKind kind) {
        return fromCode(kind.code);
    }

    public static ObjectKind fromCode(int code) {
        for (ObjectKind kind : values()) {
            if (kind.code == code) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown object kind " + code);
    }
}
