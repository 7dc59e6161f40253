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
        Path target = resolve(key);
        if (Files.exists(target)) {
            return PutOutcome.ALREADY_EXISTS;
        }
        Path directory = target.getParent();
        DurableFiles.createDirectories(directory);
        Path temp = directory.resolve(TEMP_PREFIX + target.getFileName() + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 256 * 1024);
                writer.writeTo(out);
                out.flush();
                channel.force(true);
            }
            try {
                Files.createLink(target, temp);
            } catch (FileAlreadyExistsException e) {
                return PutOutcome.ALREADY_EXISTS;
            }
            DurableFiles.fsyncDirectory(directory);
            return PutOutcome.CREATED;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        try {
            return Files.newInputStream(resolve(key));
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key);
        }
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(resolve(key));
    }

    @Override
    public List<StoredObject> listObjects(String prefix) throws IOException {
        // Walk from the deepest directory the prefix names, so that listing one timeline does not scan the repository.
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (slash >= 0) {
            StorageKeys.check(prefix.substring(0, slash));
        }
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<StoredObject> objects = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(start)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                String key = root.relativize(path).toString().replace('\\', '/');
                if (key.startsWith(prefix) && !path.getFileName().toString().startsWith(".")) {
                    try {
                        var attributes = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
                        if (attributes.isRegularFile()) {
                            objects.add(new StoredObject(key, attributes.size()));
                        }
                    } catch (java.nio.file.NoSuchFileException deletedMeanwhile) {
                        // gone between the walk and the stat: not listed
                    }
                }
            }
        }
        objects.sort(java.util.Comparator.comparing(StoredObject::key));
        return objects;
    }

    @Override
    public void delete(String key) throws IOException {
        Path path = resolve(key);
        if (Files.deleteIfExists(path)) {
            DurableFiles.fsyncDirectory(path.getParent());
        }
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
