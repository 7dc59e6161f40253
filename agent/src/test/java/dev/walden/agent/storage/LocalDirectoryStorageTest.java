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
}
