package dev.walden.agent.pipeline;

import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/** read → decompress → verify → write atomically, for one file recovery asks {@code restore_command} for. */
public final class FetchPipeline {
    private final Repository repository;
    private final Keyring keyring;

    public FetchPipeline(Repository repository, Keyring keyring) {
        this.repository = repository;
        this.keyring = keyring;
    }

    /** What a fetch did: whether the file was there, and its size when it was. */
    public record Outcome(boolean found, long bytes) {
        static final Outcome NOT_FOUND = new Outcome(false, 0);
    }

    /**
     * Restores {@code name} to {@code destination}. The destination appears whole or not at all.
     *
     * @throws CorruptObjectException the object exists but is not intact; nothing is written
     * @throws IOException the repository or the destination failed
     */
    public Outcome fetch(WalFileName name, Path destination)
            throws IOException, CorruptObjectException, RepositoryFormatException, RejectedFileException {
        OptionalLong systemIdentifier = repository.systemIdentifier();
        if (systemIdentifier.isEmpty()) {
            return Outcome.NOT_FOUND;
        }
        Path directory = destination.getParent();
        if (directory == null || !Files.isDirectory(directory)) {
            throw new RejectedFileException("destination directory " + directory + " does not exist");
        }
        String key = Repository.objectKey(systemIdentifier.getAsLong(), name);
        Path temp = temporaryBeside(directory, name.name());
        boolean kept = false;
        try {
            long length = Copies.firstIntact(repository.storage(name), key, object -> {
                try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
                    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
                    return ObjectCodec.read(object, name.name(), ObjectKind.of(name.kind()), keyring, out).originalLength();
                }
            });
            // No fsync: PostgreSQL fsyncs a restored segment itself when it keeps it (durable_rename in
            // KeepFileRestoredFromArchive), and after a crash recovery fetches the file again.
            matchDirectoryOwner(temp, directory);
            Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            kept = true;
            return new Outcome(true, length);
        } catch (ObjectNotFoundException e) {
            return Outcome.NOT_FOUND;
        } finally {
            if (!kept) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * Reads a small archived file (a timeline history) into memory, verified; empty when it is not archived.
     *
     * @throws CorruptObjectException the object exists but is not intact
     */
    public java.util.Optional<byte[]> readSmall(WalFileName name)
            throws IOException, CorruptObjectException, RepositoryFormatException {
        OptionalLong systemIdentifier = repository.systemIdentifier();
        if (systemIdentifier.isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(Copies.firstIntact(repository.storage(name), Repository.objectKey(systemIdentifier.getAsLong(), name),
                    object -> {
                        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                        ObjectCodec.read(object, name.name(), ObjectKind.of(name.kind()), keyring, java.nio.channels.Channels.newChannel(bytes),
                                PushPipeline.MAX_SMALL_FILE);
                        return bytes.toByteArray();
                    }));
        } catch (ObjectNotFoundException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * Reads an archived file end to end as a fetch would, writing nothing: authenticates, decompresses and checks
     * it; returns its original length.
     *
     * @throws CorruptObjectException it is damaged, tampered with, or for another name
     * @throws ObjectNotFoundException it is not archived
     */
    public long verify(long systemIdentifier, WalFileName name) throws IOException, CorruptObjectException {
        try (InputStream object = repository.storage().open(Repository.objectKey(systemIdentifier, name))) {
            return ObjectCodec.read(object, name.name(), ObjectKind.of(name.kind()), keyring, DiscardingChannel.INSTANCE).originalLength();
        }
    }


    /** Whether a WAL file of the repository's cluster is archived. */
    public boolean archived(WalFileName name) throws IOException, RepositoryFormatException {
        OptionalLong systemIdentifier = repository.systemIdentifier();
        return systemIdentifier.isPresent() && repository.storage().exists(Repository.objectKey(systemIdentifier.getAsLong(), name));
    }

    /**
     * Puts a verified file (e.g. from the prefetch spool) at {@code destination} atomically: a rename when both are
     * on one file system, else a copy next to the destination and a rename.
     */
    public static void install(Path verified, Path destination) throws IOException {
        Path directory = destination.getParent();
        try {
            matchDirectoryOwner(verified, directory);
            Files.move(verified, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return;
        } catch (java.nio.file.AtomicMoveNotSupportedException otherFileSystem) {
            // copy below
        }
        Path temp = temporaryBeside(directory, destination.getFileName().toString());
        try {
            Files.copy(verified, temp);
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            matchDirectoryOwner(temp, directory);
            Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
            Files.deleteIfExists(verified);
        }
    }

    /** A hidden, unique name in {@code directory}: never a WAL name, so nothing reads it before the rename. */
    private static Path temporaryBeside(Path directory, String name) {
        return directory.resolve(".walden-" + name + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
    }

    /**
     * An agent run as root (not recommended) would leave root-owned files PostgreSQL cannot open; give them the
     * owner of the directory they land in. As the usual postgres user the owners already match.
     */
    private static void matchDirectoryOwner(Path file, Path directory) throws IOException {
        PosixFileAttributes dir = Files.readAttributes(directory, PosixFileAttributes.class);
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        PosixFileAttributes current = view.readAttributes();
        if (!current.owner().equals(dir.owner())) {
            view.setOwner(dir.owner());
            view.setGroup(dir.group());
        }
    }
}
