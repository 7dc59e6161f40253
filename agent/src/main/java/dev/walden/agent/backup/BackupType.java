package dev.walden.agent.backup;

/** A full backup stores every file; an incremental stores what changed since its parent and refers to the rest. */
public enum BackupType {
    FULL("full", 'F'), INCR("incr", 'I');

    public final String label;
    /** The letter that ends a backup id of this type. */
    public final char suffix;

    BackupType(String label, char suffix) {
        this.label = label;
        this.suffix = suffix;
    }

    public static BackupType parse(String text) {
        for (BackupType type : values()) {
            if (type.label.equals(text)) {
                return type;
            }
        }
        throw new IllegalArgumentException("backup type must be full or incr, got '" + text + "'");
    }
}
