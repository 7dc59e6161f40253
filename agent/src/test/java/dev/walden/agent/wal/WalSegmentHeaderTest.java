package dev.walden.agent.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.testing.TestSegments;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class WalSegmentHeaderTest {
    private static final String NAME = "000000010000000200000003";

    @Test
    void readsTheFieldsPostgresWrites() throws Exception {
        WalSegmentHeader header = WalSegmentHeader.parse(ByteBuffer.wrap(TestSegments.segment(NAME, 42L, 1)));
        assertEquals(42L, header.systemIdentifier());
        assertEquals(16 << 20, header.segmentSize());
        assertEquals(1, header.timeline());
        header.checkMatches(WalFileName.parse(NAME), 16 << 20);
    }

    @Test
    void refusesASegmentUnderAnotherName() throws Exception {
        WalSegmentHeader header = WalSegmentHeader.parse(ByteBuffer.wrap(TestSegments.segment(NAME, 42L, 1)));
        InvalidWalFileException e = assertThrows(InvalidWalFileException.class,
                () -> header.checkMatches(WalFileName.parse("000000010000000200000004"), 16 << 20));
        assertTrue(e.getMessage().contains("header is for WAL position 2/3000000"), e.getMessage());
    }

    @Test
    void refusesATruncatedSegment() throws Exception {
        WalSegmentHeader header = WalSegmentHeader.parse(ByteBuffer.wrap(TestSegments.segment(NAME, 42L, 1)));
        InvalidWalFileException e = assertThrows(InvalidWalFileException.class,
                () -> header.checkMatches(WalFileName.parse(NAME), 8 << 20));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void refusesWhatIsNotWal() {
        byte[] bytes = TestSegments.segment(NAME, 42L, 1);
        ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putShort(0, (short) 0x1234);
        assertThrows(InvalidWalFileException.class, () -> WalSegmentHeader.parse(ByteBuffer.wrap(bytes)));
        assertThrows(InvalidWalFileException.class, () -> WalSegmentHeader.parse(ByteBuffer.allocate(10)));
        byte[] shortHeader = TestSegments.segment(NAME, 42L, 1);
        ByteBuffer.wrap(shortHeader).order(ByteOrder.nativeOrder()).putShort(2, (short) 0);
        assertThrows(InvalidWalFileException.class, () -> WalSegmentHeader.parse(ByteBuffer.wrap(shortHeader)));
        byte[] oddSize = TestSegments.segment(NAME, 42L, 1);
        ByteBuffer.wrap(oddSize).order(ByteOrder.nativeOrder()).putInt(32, 3000);
        assertThrows(InvalidWalFileException.class, () -> WalSegmentHeader.parse(ByteBuffer.wrap(oddSize)));
    }
}
