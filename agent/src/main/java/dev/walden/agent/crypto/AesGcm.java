package dev.walden.agent.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM through the JDK's provider, whose AES and GHASH are compiled to AES-NI/VAES and (V)PCLMULQDQ
 * instructions by HotSpot's intrinsics. The format around it is ours (see docs/encryption.md); Bouncy Castle's
 * pure-Java GCM is an order of magnitude slower and would make encryption the bottleneck.
 */
final class AesGcm {
    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 12;
    static final int TAG_BYTES = 16;

    private final Cipher cipher;

    AesGcm() {
        try {
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no AES/GCM", e);
        }
    }

    /** Encrypts {@code length} bytes into {@code out} (length + 16 bytes). */
    int seal(byte[] key, byte[] nonce, byte[] aad, byte[] in, int offset, int length, byte[] out, int outOffset) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
            cipher.updateAAD(aad);
            return cipher.doFinal(in, offset, length, out, outOffset);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /** Decrypts and authenticates; returns the plaintext length. */
    int open(byte[] key, byte[] nonce, byte[] aad, byte[] in, int offset, int length, byte[] out, int outOffset, String what)
            throws DecryptionException {
        if (length < TAG_BYTES) {
            throw new DecryptionException(what + " is truncated");
        }
        try {
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
            cipher.updateAAD(aad);
            return cipher.doFinal(in, offset, length, out, outOffset);
        } catch (AEADBadTagException e) {
            throw new DecryptionException(what + " failed authentication");
        } catch (GeneralSecurityException e) {
            throw new DecryptionException(what + " could not be decrypted: " + e.getClass().getSimpleName());
        }
    }
}
