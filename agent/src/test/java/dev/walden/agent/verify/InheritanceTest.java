package dev.walden.agent.verify;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.backup.Manifest;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InheritanceTest {
    static final String FULL = "20261204-010000F";
    static final String INCR = "20261204-020000I";

    static byte[] checksums(long... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 8);
        for (long v : values) {
            buffer.putLong(v);
        }
        return buffer.array();
    }

    static Manifest.FileEntry blocks(String backup, byte[] checksums, Manifest.Part... parts) {
        return new Manifest.FileEntry("base/5/16384", 4 * 65536, 1, 0600, "ab".repeat(32), backup, 1, 0,
                Optional.of(new Manifest.Blocks(65536, checksums, List.of(parts), List.of())));
    }

    @Test
    void aWholeFileIsInheritedWhereTheParentHasIt() {
        var parent = new Manifest.FileEntry("base/5/1", 10, 1, 0600, "ab".repeat(32), FULL, 3, 100);
        assertTrue(Inheritance.asRecorded(new Manifest.FileEntry("base/5/1", 10, 2, 0600, "ab".repeat(32), FULL, 3, 100), parent, INCR));
        assertFalse(Inheritance.asRecorded(new Manifest.FileEntry("base/5/1", 10, 2, 0600, "ab".repeat(32), FULL, 3, 110), parent, INCR),
                "another offset");
        assertFalse(Inheritance.asRecorded(new Manifest.FileEntry("base/5/1", 10, 2, 0600, "cd".repeat(32), FULL, 3, 100), parent, INCR),
                "another checksum");
        assertFalse(Inheritance.asRecorded(parent, null, INCR), "a parent without the file");
    }

    @Test
    void inheritedBlocksMustBeWhereAndWhatTheParentHas() {
        var parent = blocks(FULL, checksums(1, 2, 3, 4), new Manifest.Part(0, 4, FULL, 7, 0));
        // Blocks 0, 1 and 3 from the full, block 2 stored again by the incremental.
        var child = blocks(INCR, checksums(1, 2, 9, 4), new Manifest.Part(0, 2, FULL, 7, 0), new Manifest.Part(2, 1, INCR, 1, 0),
                new Manifest.Part(3, 1, FULL, 7, 3 * 65536));
        assertTrue(Inheritance.asRecorded(child, parent, INCR));
        var shifted = blocks(INCR, checksums(1, 2, 9, 4), new Manifest.Part(0, 2, FULL, 7, 65536), new Manifest.Part(2, 1, INCR, 1, 0),
                new Manifest.Part(3, 1, FULL, 7, 3 * 65536));
        assertFalse(Inheritance.asRecorded(shifted, parent, INCR), "an inherited part at another offset");
        var wrongChecksum = blocks(INCR, checksums(1, 5, 9, 4), new Manifest.Part(0, 2, FULL, 7, 0), new Manifest.Part(2, 1, INCR, 1, 0),
                new Manifest.Part(3, 1, FULL, 7, 3 * 65536));
        assertFalse(Inheritance.asRecorded(wrongChecksum, parent, INCR), "an inherited block whose checksum differs");
    }
}
