package dev.walden.agent.storage;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A repository in a local directory. A key maps to a path below the root.
 *
 * <p>Puts write a hidden temporary file in the target directory, fsync it, then hard-link it to the final name:
 * unlike rename, {@code link} fails when the name exists, which gives "create only if absent" with no window for a
 * concurrent writer to be overwritten. Then the temporary name is removed and the directory fsynced.
 */
public final class LocalDirectoryStorage implements Storage {
    private static final String TEMP_PREFIX = ".tmp-";
    private final Path root;

    public LocalDirectoryStorage(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        DurableFiles.createDirectories(this.root);
    }

    @Override
    public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
        try {
            return put(key, writer);
        } catch (java.nio.file.FileSystemException | java.io.UncheckedIOException e) {
            throw StorageFailureException.classify(describe(), "store " + key, e);
        }
    }

    /** A failure to make the object durable (fsync, link) is the storage's: classified, never the writer's. */
    private IOException storing(String key, IOException e) {
        return StorageFailureException.classify(describe(), "store " + key, e);
    }

    private PutOutcome put(String key, ObjectWriter writer) throws IOException {
        Path target = resolve(key);
        if (Files.exists(target)) {
            return PutOutcome.ALREADY_EXISTS;
        }
        Path directory = target.getParent();
        DurableFiles.createDirectories(directory);
        Path temp = directory.resolve(TEMP_PREFIX + target.getFileName() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel channel = openTemp(temp)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 256 * 1024);
                writer.writeTo(out);
                try {
                    out.flush();
                    channel.force(true);
                } catch (IOException e) {
                    throw storing(key, e);
                }
            }
            try {
                Files.createLink(target, temp);
            } catch (FileAlreadyExistsException e) {
                return PutOutcome.ALREADY_EXISTS;
            }
            try {
                DurableFiles.fsyncDirectory(directory);
            } catch (IOException e) {
                throw storing(key, e);
            }
            return PutOutcome.CREATED;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Creates the temporary file; once more if a delete removed its (then empty) directory in between. */
    private static FileChannel openTemp(Path temp) throws IOException {
        try {
            return FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (NoSuchFileException directoryRemovedMeanwhile) {
            DurableFiles.createDirectories(temp.getParent());
            return FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        try {
            return Files.newInputStream(resolve(key));
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key);
        } catch (java.nio.file.FileSystemException e) {
            throw StorageFailureException.classify(describe(), "read " + key, e);
        }
    }

    @Override
    public boolean exists(String key) throws IOException {
        try {
            return Files.readAttributes(resolve(key), java.nio.file.attribute.BasicFileAttributes.class).isRegularFile();
        } catch (NoSuchFileException e) {
            return false;
        } catch (java.nio.file.FileSystemException e) {
            // Unreadable is not absent: a fetch must not tell recovery that a file it cannot see is missing.
            throw StorageFailureException.classify(describe(), "look up " + key, e);
        }
    }

    @Override
    public java.util.Optional<java.time.Instant> storedAt(String key) throws IOException {
        try {
            return java.util.Optional.of(Files.getLastModifiedTime(resolve(key)).toInstant());
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public List<StoredObject> listObjects(String prefix) throws IOException {
        try {
            return walk(prefix);
        } catch (IOException | java.io.UncheckedIOException e) {
            // A directory the walk cannot read arrives as UncheckedIOException: a storage failure, not a bug.
            throw StorageFailureException.classify(describe(), "list " + (prefix.isEmpty() ? "the repository" : prefix), e);
        }
    }

    private List<StoredObject> walk(String prefix) throws IOException {
        List<StoredObject> objects = new ArrayList<>();
        walk(prefix, objects::add);
        objects.sort(java.util.Comparator.comparing(StoredObject::key));
        return objects;
    }

    @Override
    public void forEachObject(String prefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        try {
            walk(prefix, visitor);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw StorageFailureException.classify(describe(), "list " + (prefix.isEmpty() ? "the repository" : prefix), e);
        }
    }

    private void walk(String prefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        // Walk from the deepest directory the prefix names, so that listing one timeline does not scan the repository.
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (slash >= 0) {
            StorageKeys.check(prefix.substring(0, slash));
        }
        if (!Files.isDirectory(start)) {
            return;
        }
        walk(start, prefix, visitor);
    }

    /**
     * One directory at a time, by hand rather than with Files.walk: puts in progress rename their temporary files
     * away and expiry removes emptied directories while a listing runs, and Files.walk fails the whole listing when
     * an entry it met is gone before it reads its attributes. Here a vanished entry is simply not listed, and hidden
     * names (temporary files, markers) are skipped before they are looked at.
     */
    private void walk(Path directory, String prefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path path : entries) {
                if (path.getFileName().toString().startsWith(".")) {
                    continue;
                }
                java.nio.file.attribute.BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    if (attributes.isSymbolicLink()) {
                        // as before: a linked file is listed as what it points at; a linked directory is not entered
                        attributes = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
                        if (attributes.isDirectory()) {
                            continue;
                        }
                    }
                } catch (NoSuchFileException goneMeanwhile) {
                    continue;
                }
                String key = root.relativize(path).toString().replace('\\', '/');
                if (attributes.isDirectory()) {
                    String below = key + "/";
                    if (below.startsWith(prefix) || prefix.startsWith(below)) {
                        walk(path, prefix, visitor);
                    }
                } else if (attributes.isRegularFile() && key.startsWith(prefix)) {
                    visitor.accept(new StoredObject(key, attributes.size(), java.util.Optional.of(attributes.lastModifiedTime().toInstant())));
                }
            }
        } catch (NoSuchFileException directoryRemovedMeanwhile) {
            // an emptied directory that expiry removed while this listing ran: nothing to list there
        }
    }

    @Override
    public void delete(String key) throws IOException {
        Path path = resolve(key);
        boolean deleted;
        try {
            deleted = Files.deleteIfExists(path);
        } catch (java.nio.file.FileSystemException e) {
            throw StorageFailureException.classify(describe(), "delete " + key, e);
        }
        if (deleted) {
            DurableFiles.fsyncDirectory(path.getParent());
            removeEmptyParents(path.getParent());
        }
    }

    /**
     * One pass: every file removed, then each directory that lost one made durable once, not once per file (the
     * thousand WAL files of an expiry batch share a directory). Callers pass keys whose order of removal does not
     * matter, so a crash before the directory's fsync at most brings back files that a rerun removes again.
     */
    @Override
    public void deleteAll(List<String> keys) throws IOException {
        java.util.Set<Path> directories = new java.util.LinkedHashSet<>();
        for (String key : keys) {
            Path path = resolve(key);
            try {
                if (Files.deleteIfExists(path)) {
                    directories.add(path.getParent());
                }
            } catch (java.nio.file.FileSystemException e) {
                throw StorageFailureException.classify(describe(), "delete " + key, e);
            }
        }
        for (Path directory : directories) {
            DurableFiles.fsyncDirectory(directory);
            removeEmptyParents(directory);
        }
    }

    /**
     * An expired backup or dump leaves no empty directories behind: each parent up to (not including) the root is
     * removed once empty. A put that races to create a file there recreates the directory (createDirectories).
     */
    private void removeEmptyParents(Path directory) throws IOException {
        for (Path current = directory; current != null && current.startsWith(root) && !current.equals(root); current = current.getParent()) {
            try {
                Files.delete(current);
            } catch (java.nio.file.DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            }
            DurableFiles.fsyncDirectory(current.getParent());
        }
    }

    /**
     * Removes the temporary files of puts that never finished (a killed agent, a power cut), older than
     * {@code olderThan}: a put in progress keeps writing its file, so its modification time stays recent.
     *
     * @return how many files and bytes were removed
     */
    public long[] removeAbandonedPuts(java.time.Duration olderThan) throws IOException {
        long cutoff = System.currentTimeMillis() - olderThan.toMillis();
        long[] removed = new long[2];
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (path.getFileName().toString().startsWith(TEMP_PREFIX)) {
                    try {
                        var attributes = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                                java.nio.file.LinkOption.NOFOLLOW_LINKS);
                        if (attributes.isRegularFile() && attributes.lastModifiedTime().toMillis() < cutoff && Files.deleteIfExists(path)) {
                            removed[0]++;
                            removed[1] += attributes.size();
                        }
                    } catch (NoSuchFileException goneMeanwhile) {
                        // finished or removed meanwhile
                    }
                }
            }
        }
        return removed;
    }

    @Override
    public String describe() {
        return "local:" + root;
    }

    private Path resolve(String key) {
        Path path = root.resolve(StorageKeys.check(key)).normalize();
        if (!path.startsWith(root)) {
            throw new IllegalArgumentException("storage key '" + key + "' escapes the repository");
        }
        return path;
    }
}
