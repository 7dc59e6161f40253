package dev.walden.agent.wal;

/** The kinds of file PostgreSQL archives. Codes are stored in archived objects: never renumber. */
public enum WalFileKind {
    SEGMENT(1),
    PARTIAL_SEGMENT(2),
    TIMELINE_HISTORY(3),
    BACKUP_LABEL(4);

    public final int code;

    WalFileKind(int code) {
        this.code = code;
    }

    /** Segments and partial segments carry WAL pages whose header can be checked. */
    public boolean hasWalPages() {
        return this == SEGMENT || this == PARTIAL_SEGMENT;
    }

    public static WalFileKind fromCode(int code) {
        for (WalFileKind kind : values()) {
            if (kind.code == code) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown file kind " + code);
    }
}
