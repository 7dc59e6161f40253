package dev.walden.protocol;

/** A frame that does not follow the Walden wire protocol. */
public final class ProtocolException extends RuntimeException {
    public ProtocolException(String message) {
        super(message);
    }
}
