package dev.walden.agent.crypto;

import java.io.IOException;

/**
 * An encrypted object cannot be opened: wrong or missing key, tampered, truncated, reordered or moved. An
 * IOException so it can surface from a stream read; the pipeline reports it as an unreadable object.
 * Messages never contain key material or plaintext.
 */
public final class DecryptionException extends IOException {
    public DecryptionException(String message) {
        super(message);
    }
}
