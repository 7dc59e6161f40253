package dev.walden.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.testing.SmallDisk;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local driver on a real disk that fills up and turns read-only, behind the agent's one door to storage: each
 * failure has its kind and is counted once; the writer's own failure (its source could not be read) is not the
 * storage's; nothing half-written is left under the key.
 */
class ClassifiedStorageIT {
    @TempDir
    Path dir;

    @Test
    void aFullAndAReadOnlyDiskAreNamedAndCounted() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(dir.resolve("disk"), 1)) {
            StorageErrors errors = new StorageErrors(Clock.systemUTC());
            Storage storage = new ClassifiedStorage(new LocalDirectoryStorage(disk.path().resolve("repo")), errors);
            assertEquals(Storage.PutOutcome.CREATED, storage.putIfAbsent("a/small", out -> out.write(new byte[1000])));

            StorageFailureException full = assertThrows(StorageFailureException.class,
                    () -> storage.putIfAbsent("a/large", out -> out.write(new byte[2 << 20])));
            assertEquals(StorageFailureException.Kind.OUT_OF_SPACE, full.kind(), full.getMessage());
            assertTrue(full.getMessage().contains("file system is full") && full.getMessage().contains("HINT"), full.getMessage());
            assertFalse(storage.exists("a/large"), "nothing stored under the key");
            assertEquals(1, errors.count(StorageFailureException.Kind.OUT_OF_SPACE));

            IOException sourceGone = new IOException("the WAL file could not be read");
            assertSame(sourceGone, assertThrows(IOException.class, () -> storage.putIfAbsent("a/other", out -> {
                throw sourceGone;
            })), "the writer's own failure passes unchanged");
            assertEquals(1, errors.total(), "and is not counted as the storage's");

            disk.readOnly(true);
            StorageFailureException readOnly = assertThrows(StorageFailureException.class,
                    () -> storage.putIfAbsent("a/later", out -> out.write(1)));
            assertEquals(StorageFailureException.Kind.READ_ONLY, readOnly.kind(), readOnly.getMessage());
            assertTrue(readOnly.getMessage().contains("ReadWritePaths"), readOnly.getMessage());
            assertEquals(2, errors.total());
            assertEquals(1000, storage.open("a/small").readAllBytes().length, "what was stored is still there");
            disk.readOnly(false);
        }
    }
}
