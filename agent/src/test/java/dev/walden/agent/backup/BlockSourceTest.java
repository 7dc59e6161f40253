package dev.walden.agent.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Block-level incrementals: only changed blocks are stored, and the file assembles from its parts exactly. */
class BlockSourceTest {
    static final int BLOCK = BlockSource.BLOCK_SIZE;

    @TempDir
    Path dir;

    private record Copy(Manifest.FileEntry entry, byte[] stored) {}

    private Copy copy(Path file, String backup, Optional<Manifest.FileEntry> parent) throws Exception {
        DataDirectoryScan.ListedFile listed = new DataDirectoryScan.ListedFile("base/5/16384", file, Files.size(file), 1, 0600);
        BlockSource source = new BlockSource(listed, 0, parent, backup, 1, new TransferProgress(listed.size(), 1), new AtomicBoolean());
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(100_000);  // not a multiple of the block size, on purpose
        boolean more = true;
        while (more) {
            buffer.clear();
            more = source.fill(buffer);
            stored.write(buffer.array(), 0, buffer.position());
        }
        source.close();
        return new Copy(BlockSource.entry(listed, List.of(source.range()), backup, 1).orElseThrow(), stored.toByteArray());
    }

    private static byte[] assemble(Manifest.FileEntry entry, Map<String, byte[]> objects) {
        byte[] file = new byte[(int) entry.size()];
        for (Manifest.Part part : entry.blocks().orElseThrow().parts()) {
            int at = part.first() * BLOCK;
            int length = (int) Math.min((long) part.count() * BLOCK, entry.size() - at);
            System.arraycopy(objects.get(part.backup()), (int) part.offset(), file, at, length);
        }
        return file;
    }

    @Test
    void anIncrementalStoresOnlyChangedAndNewBlocks() throws Exception {
        byte[] original = new byte[5 * BLOCK + 1000];
        new Random(1).nextBytes(original);
        Path file = dir.resolve("relation");
        Files.write(file, original);
        Copy full = copy(file, "F", Optional.empty());
        assertEquals(original.length, full.stored().length, "a full backup stores every block");
        assertEquals(1, full.entry().blocks().orElseThrow().parts().size(), "one run of blocks");
        assertEquals(FileChecksum.of(file, original.length).orElseThrow(), full.entry().sha256());

        byte[] changed = java.util.Arrays.copyOf(original, 7 * BLOCK);
        changed[BLOCK + 17] ^= 1;                          // block 1 changes
        new Random(2).nextBytes(java.util.Arrays.copyOfRange(changed, 0, 0));
        for (int i = 5 * BLOCK; i < changed.length; i++) { // block 5 grows to full size, block 6 is new
            changed[i] = (byte) i;
        }
        Files.write(file, changed);
        Copy incremental = copy(file, "I", Optional.of(full.entry()));
        assertEquals(3 * BLOCK, incremental.stored().length, "blocks 1, 5 and 6 only");
        assertArrayEquals(changed, assemble(incremental.entry(), Map.of("F", full.stored(), "I", incremental.stored())));
        assertEquals(FileChecksum.of(file, changed.length).orElseThrow(), incremental.entry().sha256());
        List<Manifest.Part> parts = incremental.entry().blocks().orElseThrow().parts();
        assertEquals(List.of("F", "I", "F", "I"), parts.stream().map(Manifest.Part::backup).toList(), parts.toString());
    }

    @Test
    void anUnchangedFileStoresNothing() throws Exception {
        byte[] original = new byte[3 * BLOCK];
        new Random(3).nextBytes(original);
        Path file = dir.resolve("relation");
        Files.write(file, original);
        Copy full = copy(file, "F", Optional.empty());
        Copy again = copy(file, "I", Optional.of(full.entry()));
        assertEquals(0, again.stored().length);
        assertTrue(again.entry().blocks().orElseThrow().parts().stream().allMatch(p -> p.backup().equals("F")));
        assertArrayEquals(original, assemble(again.entry(), Map.of("F", full.stored())));
    }
}
