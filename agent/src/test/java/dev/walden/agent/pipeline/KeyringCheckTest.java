package dev.walden.agent.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.NoCompression;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.storage.LocalDirectoryStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent never starts archiving with a keyring the repository cannot read (issue: wrong keyring, silent WAL hole). */
class KeyringCheckTest {
    @TempDir
    Path dir;

    private Keyring keyring(String file, String... ids) throws Exception {
        Path path = dir.resolve(file);
        for (String id : ids) {
            KeyringFile.addKey(path, Optional.of(id), true, false, new SecureRandom());
        }
        return KeyringFile.load(path, Optional.empty());
    }

    private static BackupObjects objects(LocalDirectoryStorage storage, Keyring keyring) {
        return new BackupObjects(storage, NoCompression.INSTANCE, ObjectEncryption.aesGcm(keyring, ObjectEncryption.RandomBytes.secure()),
                keyring);
    }

    @Test
    void theRightKeyringStartsAndAWrongOneIsRefusedNamingBothKeys() throws Exception {
        LocalDirectoryStorage storage = new LocalDirectoryStorage(dir.resolve("repo"));
        Keyring right = keyring("right", "k-right");
        KeyringCheck.check(objects(storage, right), right);
        KeyringCheck.check(objects(storage, right), right);  // every later start
        Keyring wrong = keyring("wrong", "k-wrong");
        RepositoryFormatException e = assertThrows(RepositoryFormatException.class, () -> KeyringCheck.check(objects(storage, wrong), wrong));
        assertTrue(e.getMessage().contains("k-wrong") && e.getMessage().contains("k-right"), e.getMessage());
        assertTrue(storage.list("walden.keys/").size() == 1, "the wrong key left no check behind");
    }

    @Test
    void aKeyOfTheSameIdButOtherBytesIsRefused() throws Exception {
        LocalDirectoryStorage storage = new LocalDirectoryStorage(dir.resolve("repo"));
        Keyring original = keyring("a", "k1");
        KeyringCheck.check(objects(storage, original), original);
        Keyring impostor = keyring("b", "k1");
        RepositoryFormatException e = assertThrows(RepositoryFormatException.class,
                () -> KeyringCheck.check(objects(storage, impostor), impostor));
        assertTrue(e.getMessage().contains("k1"), e.getMessage());
    }

    @Test
    void aRotatedKeyringAddsItsNewKeyFirst() throws Exception {
        LocalDirectoryStorage storage = new LocalDirectoryStorage(dir.resolve("repo"));
        Path file = dir.resolve("rotating");
        KeyringFile.addKey(file, Optional.of("old"), true, false, new SecureRandom());
        Keyring before = KeyringFile.load(file, Optional.empty());
        KeyringCheck.check(objects(storage, before), before);
        KeyringFile.addKey(file, Optional.of("new"), true, false, new SecureRandom());
        Keyring after = KeyringFile.load(file, Optional.empty());
        KeyringCheck.check(objects(storage, after), after);
        assertTrue(Files.exists(dir.resolve("repo/walden.keys/new")));
        // The old keyring alone still reads its own check, so an agent rolled back keeps working.
        KeyringCheck.check(objects(storage, before), before);
    }
}
