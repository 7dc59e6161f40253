package dev.walden.agent.pipeline;

import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.storage.ObjectNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Logger;

/**
 * Makes sure, before anything is written, that the keyring can read the repository: one small object per key the
 * repository has seen, {@code walden.keys/KEYID}, encrypted with that key and holding a known text. At start-up:
 * <ul>
 *   <li>the active key's check reads back: all is well;</li>
 *   <li>it has no check yet, but another key of this keyring reads its own check: a rotation, and the active key's
 *       check is added, so that the repository has seen it before anything is encrypted with it;</li>
 *   <li>a repository with no checks (new, or written by an older agent) gets the active key's check;</li>
 *   <li>otherwise, or when a check does not read with the key of its name, the agent refuses to start, naming the
 *       repository's keys and the keyring's: archiving with a key the repository cannot read would leave a hole in
 *       the WAL chain that only shows at restore.</li>
 * </ul>
 */
public final class KeyringCheck {
    private static final Logger LOG = Logger.getLogger(KeyringCheck.class.getName());
    static final String PREFIX = "walden.keys/";
    private static final String TEXT = "walden key check ";

    private KeyringCheck() {}

    /** @param objects writes and reads through the agent's encryption, whose active key is {@code keyring}'s */
    public static void check(BackupObjects objects, Keyring keyring) throws IOException, RepositoryFormatException {
        List<String> seen = new ArrayList<>();
        for (String key : objects.list(PREFIX)) {
            seen.add(key.substring(PREFIX.length()));
        }
        String active = keyring.activeId();
        List<String> readable = new ArrayList<>();
        for (String id : seen) {
            if (keyring.ids().contains(id)) {
                if (!reads(objects, id)) {
                    throw new RepositoryFormatException("the keyring's key " + id + " is not the key " + id + " the repository "
                            + objects.describe() + " was written with (its key check does not decrypt); nothing was written."
                            + " HINT: keyring-path must name the repository's own keyring, or a copy of it with keys added");
                }
                readable.add(id);
            }
        }
        if (readable.contains(active)) {
            return;
        }
        if (!seen.isEmpty() && readable.isEmpty()) {
            throw new RepositoryFormatException("the keyring (keys " + String.join(", ", keyring.ids()) + ", active " + active
                    + ") cannot read repository " + objects.describe() + ", which was written with keys " + String.join(", ", seen)
                    + "; the agent did not start, so nothing was archived with a key the repository cannot read."
                    + " HINT: keyring-path must name the repository's keyring (after walden-agent keygen --rotate, the rotated one)");
        }
        String name = PREFIX + active;
        objects.writeBytes(name, name, ObjectKind.KEY_CHECK, (TEXT + active).getBytes(StandardCharsets.UTF_8));
        if (!reads(objects, active)) {
            throw new RepositoryFormatException("the key check of " + active + " in " + objects.describe()
                    + " does not read back with this keyring (another agent wrote it with a different key of the same id)");
        }
        LOG.info(seen.isEmpty() ? "repository key check written for key " + active
                : "key " + active + " added to the repository's key checks (rotation; it already had " + String.join(", ", seen) + ")");
    }

    private static boolean reads(BackupObjects objects, String id) throws IOException {
        String name = PREFIX + id;
        try {
            byte[] text = objects.readBytes(name, name, ObjectKind.KEY_CHECK, 4096);
            return Arrays.equals(text, (TEXT + id).getBytes(StandardCharsets.UTF_8));
        } catch (CorruptObjectException | ObjectNotFoundException e) {
            return false;
        }
    }
}
