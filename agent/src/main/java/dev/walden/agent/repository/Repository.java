package dev.walden.agent.repository;

import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * One cluster's archive inside a {@link Storage}: where each file's object lives, and which PostgreSQL cluster
 * (system identifier) the repository belongs to. Layout (see {@code docs/format.md}):
 *
 * <pre>
 * walden.repository                                 repository record: format version, system identifier
 * SYSID/wal/TIMELINE/NAME                           one archived file, e.g. 7312.../wal/00000001/000000010000000000000003
 * </pre>
 *
 * <p>The record is created by the first push and never changed, so a repository holds exactly one cluster.
 */
public final class Repository {
    public static final String RECORD_KEY = "walden.repository";
    static final String RECORD_MAGIC = "walden-repository-format";
    public static final int FORMAT_VERSION = 1;

    private final Storage storage;
    /** Set once; the record never changes after creation, so caching it is safe. */
    private volatile OptionalLong systemIdentifier = OptionalLong.empty();

    public Repository(Storage storage) {
        this.storage = storage;
    }

    public Storage storage() {
        return storage;
    }

    /** The object key of an archived file of this cluster. */
    public static String objectKey(long systemIdentifier, WalFileName name) {
        return Long.toUnsignedString(systemIdentifier) + "/wal/" + name.name().substring(0, 8) + "/" + name.name();
    }

    /** The cluster this repository archives, or empty when nothing was ever pushed. */
    public OptionalLong systemIdentifier() throws IOException, RepositoryFormatException {
        OptionalLong known = systemIdentifier;
        if (known.isPresent()) {
            return known;
        }
        byte[] record;
        try (InputStream in = storage.open(RECORD_KEY)) {
            record = in.readNBytes(4096);
        } catch (ObjectNotFoundException e) {
            return OptionalLong.empty();
        }
        long parsed = parseRecord(new String(record, StandardCharsets.UTF_8));
        systemIdentifier = OptionalLong.of(parsed);
        return systemIdentifier;
    }

    /**
     * Makes sure this repository archives cluster {@code clusterSystemIdentifier}: claims an empty repository for
     * it, or checks that a used one belongs to it.
     *
     * @throws WrongClusterException when the repository belongs to another cluster
     */
    public void claim(long clusterSystemIdentifier) throws IOException, RepositoryFormatException, WrongClusterException {
        OptionalLong current = systemIdentifier();
        if (current.isEmpty()) {
            String record = RECORD_MAGIC + " " + FORMAT_VERSION + "\nsystem-identifier " + Long.toUnsignedString(clusterSystemIdentifier) + "\n";
            storage.putIfAbsent(RECORD_KEY, out -> out.write(record.getBytes(StandardCharsets.UTF_8)));
            current = systemIdentifier();
        }
        if (current.isEmpty() || current.getAsLong() != clusterSystemIdentifier) {
            throw new WrongClusterException("file belongs to database system " + Long.toUnsignedString(clusterSystemIdentifier)
                    + " but repository " + storage.describe() + " archives system "
                    + (current.isEmpty() ? "?" : Long.toUnsignedString(current.getAsLong()))
                    + ". HINT: give each cluster its own repository");
        }
    }

    static long parseRecord(String text) throws RepositoryFormatException {
        String[] lines = text.split("\n");
        String[] first = lines[0].split(" ");
        if (first.length != 2 || !first[0].equals(RECORD_MAGIC)) {
            throw new RepositoryFormatException(RECORD_KEY + " is not a Walden repository record");
        }
        if (!first[1].equals(Integer.toString(FORMAT_VERSION))) {
            throw new RepositoryFormatException("repository format " + first[1] + " is not readable by this agent (reads "
                    + FORMAT_VERSION + "). HINT: upgrade walden-agent");
        }
        for (String line : lines) {
            if (line.startsWith("system-identifier ")) {
                try {
                    return Long.parseUnsignedLong(line.substring("system-identifier ".length()).strip());
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        throw new RepositoryFormatException(RECORD_KEY + " has no valid system-identifier line");
    }
}
