package dev.walden.agent;

import dev.walden.agent.crypto.KeyringException;
import dev.walden.agent.crypto.KeyringFile;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;

/** {@code walden-agent keygen}: adds a key to a keyring. Prints the key's id, never the key. */
final class Keygen {
    private Keygen() {}

    static int run(String[] args) {
        Path keyring = null;
        Optional<String> id = Optional.empty();
        boolean activate = true;
        boolean passphrase = false;
        Path passphraseFile = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--keyring" -> keyring = i + 1 < args.length ? Path.of(args[++i]).toAbsolutePath() : null;
                case "--id" -> id = i + 1 < args.length ? Optional.of(args[++i]) : Optional.empty();
                case "--no-activate" -> activate = false;
                case "--passphrase" -> passphrase = true;
                case "--passphrase-file" -> passphraseFile = i + 1 < args.length ? Path.of(args[++i]).toAbsolutePath() : null;
                default -> {
                    System.err.println("walden-agent keygen: unknown argument '" + args[i] + "' (walden-agent --help)");
                    return 2;
                }
            }
        }
        if (keyring == null) {
            System.err.println("walden-agent keygen: --keyring FILE is required");
            return 2;
        }
        if (passphrase && passphraseFile == null) {
            System.err.println("walden-agent keygen: --passphrase needs --passphrase-file FILE, the file keyring-passphrase-file"
                    + " will name, so that it is checked now rather than at the agent's next start");
            return 2;
        }
        try {
            if (passphrase) {
                KeyringFile.checkPassphraseFile(passphraseFile);
            }
            String added = KeyringFile.addKey(keyring, id, activate, passphrase, new SecureRandom());
            System.out.println("added key " + added + " to " + keyring + (activate ? " (active for new objects)" : ""));
            return 0;
        } catch (KeyringException | IOException e) {
            System.err.println("walden-agent keygen: " + e.getMessage());
            return 1;
        }
    }
}
