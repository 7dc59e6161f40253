package dev.walden.agent.pipeline;

import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.logging.Logger;

/**
 * Reads an object from the first of its copies ({@link Storage#copies}) that is there and intact: with several
 * repositories, one that fails, lacks the object, or holds it damaged or tampered with is passed over, and that is
 * logged. With one repository this is a plain read.
 */
final class Copies {
    private static final Logger LOG = Logger.getLogger(Copies.class.getName());

    private Copies() {}

    @FunctionalInterface
    interface Attempt<T> {
        /** Reads one copy whole; called again, from the start, for the next copy when one fails. */
        T read(InputStream object) throws IOException, CorruptObjectException;
    }

    /**
     * @throws CorruptObjectException when no copy was intact and at least one was damaged
     * @throws ObjectNotFoundException when every repository answered that it has no such object
     * @throws IOException when no copy could be read, for the first such failure
     */
    static <T> T firstIntact(Storage storage, String key, Attempt<T> attempt) throws IOException, CorruptObjectException {
        List<Storage> copies = storage.copies();
        if (copies.size() == 1) {
            try (InputStream object = copies.get(0).open(key)) {
                return attempt.read(object);
            }
        }
        CorruptObjectException damaged = null;
        IOException failed = null;
        ObjectNotFoundException missing = null;
        for (int i = 0; i < copies.size(); i++) {
            Storage copy = copies.get(i);
            try (InputStream object = copy.open(key)) {
                T result = attempt.read(object);
                if (damaged != null || failed != null || missing != null) {
                    LOG.warning(key + " was read from " + copy.describe() + " instead: "
                            + (damaged != null ? "a copy before it is damaged (" + damaged.getMessage() + ")"
                            : failed != null ? "a repository before it failed (" + failed.getMessage() + ")"
                            : "a repository before it does not have it") + ". HINT: walden verify names what is wrong where");
                }
                return result;
            } catch (ObjectNotFoundException e) {
                missing = missing == null ? e : missing;
            } catch (CorruptObjectException e) {
                LOG.warning(key + " is damaged in " + copy.describe() + ": " + e.getMessage());
                damaged = damaged == null ? e : damaged;
            } catch (IOException e) {
                LOG.warning(key + " could not be read from " + copy.describe() + ": " + e.getMessage());
                failed = failed == null ? e : failed;
            }
        }
        if (damaged != null) {
            throw damaged;
        }
        if (failed != null) {
            throw failed;
        }
        throw missing;
    }
}
