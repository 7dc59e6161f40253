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
 * walden.repository                                 repository record: format version, system identifier, encryption
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
    /** The same store, as timeline history files see it: ahead of segments under a rate limit. */
    private final Storage histories;
    /** Set once; the record never changes after creation, so caching it is safe. */
    private volatile Record record;

    /** What the repository record says. */
    public record Record(long systemIdentifier, String encryption) {}

    public Repository(Storage storage) {
        this(storage, storage);
    }

    /** @param histories the same store in the lane of timeline history files, which go before segments */
    public Repository(Storage storage, Storage histories) {
        this.storage = storage;
        this.histories = histories;
    }

    /** The store, for the push and fetch pipelines, which write and read single WAL objects by {@link WalArchive#key}. */
    public Storage storage() {
        return storage;
    }

    /** The store as a push or fetch of {@code name} sees it: history files in a lane of their own, ahead of segments. */
    public Storage storage(WalFileName name) {
        return name.kind() == dev.walden.agent.wal.WalFileKind.TIMELINE_HISTORY ? histories : storage;
    }

    /** The archived WAL of cluster {@code systemIdentifier}. */
    public WalArchive wal(long systemIdentifier) {
        return new WalArchive(storage, systemIdentifier);
    }

    /** Asks the store for the repository record: throws when it cannot be reached or read (its absence is fine). */
    public void probe() throws IOException {
        storage.exists(RECORD_KEY);
    }

    /** For messages: the store, e.g. {@code local:/var/lib/walden/repo}. */
    public String describe() {
        return storage.describe();
    }

    /** The object key of an archived file of this cluster. */
    public static String objectKey(long systemIdentifier, WalFileName name) {
        return Long.toUnsignedString(systemIdentifier) + "/wal/" + name.name().substring(0, 8) + "/" + name.name();
    }

    /** The cluster this repository archives, or empty when nothing was ever pushed. */
    public OptionalLong systemIdentifier() throws IOException, RepositoryFormatException {
        Record known = record();
        return known == null ? OptionalLong.empty() : OptionalLong.of(known.systemIdentifier());
    }

    /** The repository record, or null when nothing was ever pushed. */
    public Record record() throws IOException, RepositoryFormatException {
        Record known = record;
        if (known != null) {
            return known;
        }
        byte[] bytes;
        try (InputStream in = storage.open(RECORD_KEY)) {
            bytes = in.readNBytes(4096);
        } catch (ObjectNotFoundException e) {
            return null;
        }
        record = parseRecord(new String(bytes, StandardCharsets.UTF_8));
        return record;
    }

    /**
     * Refuses to mix encrypted and unencrypted objects in one repository: checked at start-up and on every claim.
     *
     * @param encryption the mode this agent writes, e.g. {@code none} or {@code aes-256-gcm}
     */
    public void checkEncryption(String encryption) throws IOException, RepositoryFormatException {
        Record current = record();
        if (current != null && !current.encryption().equals(encryption)) {
            throw new RepositoryFormatException("repository " + storage.describe() + " is written with encryption "
                    + current.encryption() + " but this agent is configured for " + encryption
                    + (encryption.equals("none") ? ". HINT: set keyring-path to the repository's keyring"
                            : ". HINT: an unencrypted repository stays unencrypted; use a new repo-path for encrypted archiving"));
        }
    }

    /**
     * Makes sure this repository archives cluster {@code clusterSystemIdentifier}: claims an empty repository for
     * it, or checks that a used one belongs to it.
     *
     * @throws WrongClusterException when the repository belongs to another cluster
     */
    public void claim(long clusterSystemIdentifier, String encryption)
            throws IOException, RepositoryFormatException, WrongClusterException {
        OptionalLong current = systemIdentifier();
        if (current.isEmpty()) {
            String text = RECORD_MAGIC + " " + FORMAT_VERSION + "\nsystem-identifier " + Long.toUnsignedString(clusterSystemIdentifier)
                    + "\nencryption " + encryption + "\n";
            storage.putIfAbsent(RECORD_KEY, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            current = systemIdentifier();
        }
        checkEncryption(encryption);
        if (current.isEmpty() || current.getAsLong() != clusterSystemIdentifier) {
            throw new WrongClusterException("file belongs to database system " + Long.toUnsignedString(clusterSystemIdentifier)
                    + " but repository " + storage.describe() + " archives system "
                    + (current.isEmpty() ? "?" : Long.toUnsignedString(current.getAsLong()))
                    + ". HINT: give each cluster its own repository");
        }
    }

    static Record parseRecord(String text) throws RepositoryFormatException {
        String[] lines = text.split("\n");
        String[] first = lines[0].split(" ");
        if (first.length != 2 || !first[0].equals(RECORD_MAGIC)) {
            throw new RepositoryFormatException(RECORD_KEY + " is not a Walden repository record");
        }
        if (!first[1].equals(Integer.toString(FORMAT_VERSION))) {
            throw new RepositoryFormatException("repository format " + first[1] + " is not readable by this agent (reads "
                    + FORMAT_VERSION + "). HINT: upgrade walden-agent");
        }
        Long systemIdentifier = null;
        String encryption = null;
        for (String line : lines) {
            if (line.startsWith("system-identifier ")) {
                try {
                    systemIdentifier = Long.parseUnsignedLong(line.substring("system-identifier ".length()).strip());
                } catch (NumberFormatException e) {
                    break;
                }
            } else if (line.startsWith("encryption ")) {
                encryption = line.substring("encryption ".length()).strip();
            }
        }
        if (systemIdentifier == null || encryption == null) {
            throw new RepositoryFormatException(RECORD_KEY + " lacks a valid system-identifier or encryption line");
        }
        return new Record(systemIdentifier, encryption);
    }
}
