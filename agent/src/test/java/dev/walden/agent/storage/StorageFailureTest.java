package dev.walden.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

/** What the local driver's failures become: a kind and one line that names the repository, the path and what to do. */
class StorageFailureTest {
    static StorageFailureException classify(Throwable e) {
        IOException classified = StorageFailureException.classify("local:/var/lib/walden/repo", "list 7/wal/", e);
        return (StorageFailureException) classified;
    }

    @Test
    void eachLocalFailureHasItsKindAndAMessageThatSaysWhatToDo() {
        StorageFailureException denied = classify(new UncheckedIOException(new AccessDeniedException("/var/lib/walden/repo/7/wal/00000001")));
        assertEquals(StorageFailureException.Kind.PERMISSION_DENIED, denied.kind());
        assertTrue(denied.getMessage().contains("/var/lib/walden/repo/7/wal/00000001") && denied.getMessage().contains("HINT"), denied.getMessage());
        assertEquals(StorageFailureException.Kind.OUT_OF_SPACE,
                classify(new FileSystemException("/var/lib/walden/repo/x", null, "No space left on device")).kind());
        assertEquals(StorageFailureException.Kind.READ_ONLY,
                classify(new FileSystemException("/var/lib/walden/repo/x", null, "Read-only file system")).kind());
        StorageFailureException other = classify(new FileSystemException("/var/lib/walden/repo/x", null, "Input/output error"));
        assertEquals(StorageFailureException.Kind.UNAVAILABLE, other.kind());
        assertTrue(!other.getMessage().contains("Exception"), other.getMessage());
        ObjectNotFoundException missing = new ObjectNotFoundException("k");
        assertTrue(StorageFailureException.classify("r", "read k", missing) == missing, "not found stays not found");
    }
}
