package dev.walden.protocol;

/**
 * Outcome of a request, as carried in a reply. Codes are part of the wire format: never renumber.
 */
public enum Status {
    /** The file is durably stored (push) or written to the destination (fetch). */
    OK(0),
    /** The repository certainly holds no such file. */
    NOT_FOUND(1),
    /** The request itself is malformed or names something Walden refuses to handle. */
    INVALID_REQUEST(2),
    /** A different file is already archived under this name; the archived copy is kept. */
    CONFLICT(3),
    /** The file handed over is not acceptable: wrong cluster, bad WAL header, wrong size. */
    REJECTED(4),
    /** The stored object exists but cannot be read back intact (corrupt, tampered, wrong key). */
    UNREADABLE(5),
    /** The agent or the repository cannot serve the request now (busy, storage down, disk full). */
    UNAVAILABLE(6),
    /** An unexpected failure inside the agent. */
    INTERNAL(7),
    /** The connecting user may not use this agent (peer credentials not in allowed-users). */
    PERMISSION_DENIED(8);

    private static final Status[] BY_CODE = values();

    public final int code;

    Status(int code) {
        this.code = code;
    }

    public static Status fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new ProtocolException("unknown reply status " + code);
        }
        return BY_CODE[code];
    }
}
