package dev.walden.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalDirectoryStorageTest extends StorageContractTest {
    @TempDir
    Path root;

    @Override
    protected Storage createStorage() throws IOException {
        return new LocalDirectoryStorage(root.resolve("repo"));
    }

    @Test
    void aListingGoesOnWhenFilesVanishUnderIt() throws IOException {
        for (int i = 0; i < 200; i++) {
            storage.putIfAbsent(String.format("7/wal/00000001/%03d", i), out -> out.write(1));
        }
        java.util.List<String> seen = new java.util.ArrayList<>();
        // The first file listed removes all the others, as puts renaming temporary files and expiry deleting do.
        storage.forEachObject("7/wal/", object -> {
            if (seen.isEmpty()) {
                for (int i = 0; i < 200; i++) {
                    String key = String.format("7/wal/00000001/%03d", i);
                    if (!key.equals(object.key())) {
                        try {
                            java.nio.file.Files.deleteIfExists(root.resolve("repo").resolve(key));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                }
            }
            seen.add(object.key());
        });
        org.junit.jupiter.api.Assertions.assertFalse(seen.isEmpty());
    }

    @Test
    void leavesNoTemporaryFilesAfterFailures() throws IOException {
        try {
            storage.putIfAbsent("a/b", out -> {
                throw new IOException("boom");
            });
        } catch (IOException expected) {
            // the failure itself is covered by the contract
        }
        storage.putIfAbsent("a/c", out -> out.write(1));
        storage.putIfAbsent("a/c", out -> out.write(2));
        try (Stream<Path> files = Files.list(root.resolve("repo/a"))) {
            assertEquals(1, files.count(), "only the stored object remains");
        }
    }

    @Test
    void anExpiredBackupLeavesNoEmptyDirectories() throws IOException {
        storage.putIfAbsent("7/backup/20261201-020000F/data/000000", out -> out.write(1));
        storage.putIfAbsent("7/backup/20261201-020000F/commit", out -> out.write(1));
        storage.putIfAbsent("7/backup/20261202-020000F/commit", out -> out.write(1));
        storage.delete("7/backup/20261201-020000F/data/000000");
        storage.delete("7/backup/20261201-020000F/commit");
        assertEquals(false, Files.exists(root.resolve("repo/7/backup/20261201-020000F")));
        assertEquals(true, Files.exists(root.resolve("repo/7/backup/20261202-020000F/commit")));
        storage.putIfAbsent("7/backup/20261201-020000F/data/000001", out -> out.write(1));  // a later put recreates them
        assertEquals(true, storage.exists("7/backup/20261201-020000F/data/000001"));
    }

    @Test
    void theTemporaryFilesOfAKilledWriteAreRemovedOnceAbandoned() throws IOException {
        Path directory = Files.createDirectories(root.resolve("repo/7/backup/20261201-020000F/data"));
        Path abandoned = Files.write(directory.resolve(".tmp-000003-1f2e"), new byte[4096]);
        Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Path inProgress = Files.write(directory.resolve(".tmp-000004-3a4b"), new byte[10]);
        long[] removed = ((LocalDirectoryStorage) storage).removeAbandonedPuts(java.time.Duration.ofMinutes(15));
        assertEquals(1, removed[0]);
        assertEquals(4096, removed[1]);
        assertEquals(false, Files.exists(abandoned));
        assertEquals(true, Files.exists(inProgress));
    }
}
