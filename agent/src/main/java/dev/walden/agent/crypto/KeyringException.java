package dev.walden.agent.crypto;

/** The keyring cannot be used; the message says what to fix. Never contains key material. */
public final class KeyringException extends Exception {
    public KeyringException(String message) {
        super(message);
    }
}
