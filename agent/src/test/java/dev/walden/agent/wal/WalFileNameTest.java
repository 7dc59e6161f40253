package dev.walden.agent.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class WalFileNameTest {
    @Test
    void parsesEveryKindPostgresArchives() {
        assertEquals(WalFileKind.SEGMENT, WalFileName.parse("000000010000000000000001").kind());
        assertEquals(WalFileKind.PARTIAL_SEGMENT, WalFileName.parse("000000010000000A000000FF.partial").kind());
        assertEquals(WalFileKind.BACKUP_LABEL, WalFileName.parse("000000010000000000000002.00000028.backup").kind());
        WalFileName history = WalFileName.parse("0000000A.history");
        assertEquals(WalFileKind.TIMELINE_HISTORY, history.kind());
        assertEquals(10, history.timeline());
    }

    @Test
    void computesSegmentNumbersAsPostgresDoes() {
        WalFileName name = WalFileName.parse("000000020000000100000003");
        assertEquals(2, name.timeline());
        assertEquals(256 + 3, name.segmentNumber(16 << 20));
        assertEquals(4096 + 3, name.segmentNumber(1 << 20));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "../../etc/passwd", "000000010000000000000001/../x", "/000000010000000000000001",
        "00000001000000000000000", "0000000100000000000000011", "00000001000000000000000g",
        "000000010000000000000001.partial/..", "00000001.history.tmp", "0000000.history",
        "000000010000000000000001.backup", "000000010000000000000001.0000002.backup", "RECOVERYXLOG",
        "000000000000000000000001", "00000000.history", "000000010000000000000001\n", "..", "."
    })
    void refusesAnythingElse(String name) {
        assertThrows(InvalidWalFileNameException.class, () -> WalFileName.parse(name));
    }

    @Test
    void escapesControlCharactersInMessages() {
        InvalidWalFileNameException e = assertThrows(InvalidWalFileNameException.class, () -> WalFileName.parse("a\nb"));
        assertEquals("'a\\x0ab' is not a WAL segment, .partial, .backup or .history file name", e.getMessage());
    }
}
