package dev.walden.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LsnTest {
    static final long SEGMENT = 16 << 20;

    @Test
    void parsesAndPrintsPostgresNotation() {
        assertEquals(0x3000028L, Lsn.parse("0/3000028").value());
        assertEquals("1/A0000000", Lsn.parse("1/a0000000").toString());
        assertTrue(Lsn.parse("0/FFFFFFFF").compareTo(Lsn.parse("1/0")) < 0);
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("3000028"));
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("0/123456789"));
    }

    @Test
    void namesTheSegmentsAsPostgresDoes() {
        assertEquals("000000010000000000000003", Lsn.parse("0/3000028").segmentName(1, SEGMENT));
        assertEquals("0000000200000001000000A0", Lsn.parse("1/A0000010").segmentName(2, SEGMENT));
        // A stop location at a segment boundary ends in the previous segment (XLByteToPrevSeg).
        assertEquals("000000010000000000000004", Lsn.parse("0/5000000").previousSegmentName(1, SEGMENT));
        assertEquals("000000010000000000000005", Lsn.parse("0/5000100").previousSegmentName(1, SEGMENT));
    }
}
