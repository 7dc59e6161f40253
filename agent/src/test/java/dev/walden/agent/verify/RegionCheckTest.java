package dev.walden.agent.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.backup.Manifest;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The stretches of a data object that manifests point at, checked as the object streams past in odd-sized writes. */
class RegionCheckTest {
    static String sha256(byte[] bytes, int from, int length) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        digest.update(bytes, from, length);
        return HexFormat.of().formatHex(digest.digest());
    }

    static byte[] checksums(byte[] bytes, int from, int blockSize, int blocks, long fileSize) {
        ByteBuffer out = ByteBuffer.allocate(blocks * 8);
        for (int i = 0; i < blocks; i++) {
            int length = (int) Math.min(blockSize, fileSize - (long) i * blockSize);
            CRC32C c = new CRC32C();
            CRC32 d = new CRC32();
            c.update(bytes, from + i * blockSize, length);
            d.update(bytes, from + i * blockSize, length);
            out.putLong(c.getValue() << 32 | d.getValue());
        }
        return out.array();
    }

    static List<String> stream(RegionCheck check, byte[] object) {
        for (int at = 0; at < object.length; ) {
            int n = Math.min(777, object.length - at);  // writes that straddle every boundary
            check.write(ByteBuffer.wrap(object, at, n));
            at += n;
        }
        return check.finish();
    }

    @Test
    void intactFilesAndBlocksPassAndAChangedByteIsNamed() throws Exception {
        byte[] object = new byte[10_000];
        new java.util.Random(7).nextBytes(object);
        // a bundled file at 100..1099, and a large file's blocks 0..2 (1024-byte blocks, the last 500 bytes) from 2000
        long fileSize = 2 * 1024 + 500;
        Manifest.Blocks blocks = new Manifest.Blocks(1024, checksums(object, 2000, 1024, 3, fileSize), List.of(), List.of());
        List<RegionCheck.Region> regions = List.of(
                new RegionCheck.FileRegion("B1", "base/5/1", 100, 1000, sha256(object, 100, 1000)),
                new RegionCheck.FileRegion("B2", "base/5/1", 100, 1000, sha256(object, 100, 1000)),  // an incremental's re-use
                new RegionCheck.BlockRegion("B1", "base/5/2", 2000, fileSize, 0, 3, blocks));
        assertEquals(List.of(), stream(new RegionCheck(regions), object));

        object[2000 + 1024 + 5] ^= 1;
        object[500] ^= 1;
        List<String> found = stream(new RegionCheck(regions), object);
        assertEquals(2, found.size(), found.toString());
        assertTrue(found.get(0).contains("file base/5/1") && found.get(0).contains("SHA-256"), found.toString());
        assertTrue(found.get(1).contains("1 block(s)") && found.get(1).contains("the first is block 1"), found.toString());
    }

    @Test
    void aStretchPastTheEndOfTheObjectIsNamed() throws Exception {
        byte[] object = new byte[1000];
        List<String> found = stream(new RegionCheck(List.of(new RegionCheck.FileRegion("B1", "base/5/3", 900, 200, "00"),
                new RegionCheck.FileRegion("B1", "base/5/4", 5000, 10, "00"))), object);
        assertEquals(2, found.size(), found.toString());
        assertTrue(found.get(0).contains("reaches past the end"), found.toString());
        assertTrue(found.get(1).contains("past the end of the object"), found.toString());
    }
}
