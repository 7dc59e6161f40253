package dev.walden.agent.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.BackupType;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.wal.TimelineHistory;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackupChooserTest {
    static final ZoneId UTC = ZoneOffset.UTC;

    static BackupSummary backup(String id, String stopped, String stopLsn, long timeline) {
        return new BackupSummary(id, BackupType.FULL, Optional.empty(), List.of(id), Instant.parse(stopped).minusSeconds(600),
                Instant.parse(stopped), Lsn.parse("0/2000028"), Lsn.parse(stopLsn), timeline, 16 << 20, 1000, 100, 150010, 42);
    }

    final BackupSummary monday = backup("20261130-020000F", "2026-11-30T02:10:00Z", "0/5000100", 1);
    final BackupSummary tuesday = backup("20261201-020000F", "2026-12-01T02:10:00Z", "0/9000100", 1);
    final BackupSummary afterPromotion = backup("20261201-120000F", "2026-12-01T12:10:00Z", "0/F000100", 2);
    final List<BackupSummary> catalog = List.of(monday, tuesday, afterPromotion);
    /** Timeline 2 branched off timeline 1 at 0/A000000, after tuesday's backup. */
    final TimelineHistory two = TimelineHistory.parse(2, "1\t0/A000000\tno recovery target specified\n");

    @Test
    void theNewestBackupThatEndedBeforeTheTargetTimeIsChosen() throws Exception {
        RecoveryTarget target = new RecoveryTarget.Time(Instant.parse("2026-12-01T10:00:00Z"), UTC);
        BackupChooser.Choice choice = BackupChooser.choose(catalog, target, two, UTC);
        assertEquals(tuesday, choice.backup());
        assertTrue(choice.reason().contains("ended before"), choice.reason());
    }

    @Test
    void backupsOffTheTargetTimelinesHistoryAreNotChosen() throws Exception {
        assertEquals(tuesday, BackupChooser.choose(catalog, new RecoveryTarget.Latest(), TimelineHistory.root(1), UTC).backup());
        assertEquals(afterPromotion, BackupChooser.choose(catalog, new RecoveryTarget.Latest(), two, UTC).backup());
        // A backup of timeline 1 that ended after timeline 2 branched off is not on timeline 2's history.
        BackupSummary late = backup("20261201-110000F", "2026-12-01T11:10:00Z", "0/B000100", 1);
        assertEquals(tuesday, BackupChooser.choose(List.of(monday, tuesday, late), new RecoveryTarget.Latest(), two, UTC).backup());
    }

    @Test
    void anLsnTargetIsJudgedByStopLocation() throws Exception {
        assertEquals(monday, BackupChooser.choose(catalog, new RecoveryTarget.Location(Lsn.parse("0/8000000")), two, UTC).backup());
    }

    @Test
    void aTargetBeforeEveryBackupIsRefusedNamingTheEarliest() {
        RestoreException refused = assertThrows(RestoreException.class, () -> BackupChooser.choose(catalog,
                new RecoveryTarget.Time(Instant.parse("2026-11-29T00:00:00Z"), UTC), two, UTC));
        assertTrue(refused.getMessage().contains("earlier than the end of every backup"), refused.getMessage());
        assertTrue(refused.getMessage().contains(monday.id()), refused.getMessage());
    }

    @Test
    void anEmptyCatalogSaysToTakeABackup() {
        RestoreException refused = assertThrows(RestoreException.class,
                () -> BackupChooser.choose(List.of(), new RecoveryTarget.Latest(), two, UTC));
        assertTrue(refused.getMessage().contains("walden backup"));
    }

    @Test
    void timelineHistoriesAreReadAsPostgresWritesThem() {
        TimelineHistory three = TimelineHistory.parse(3, "# comment\n1\t0/A000000\tbefore 2\n\n2\t0/C0000A8\tbefore 3\n");
        assertEquals(List.of(new TimelineHistory.Entry(1, 0xA000000L), new TimelineHistory.Entry(2, 0xC0000A8L)), three.ancestors());
        assertTrue(three.contains(2, 0xC0000A8L));
        assertTrue(!three.contains(2, 0xC0000A9L));
        assertTrue(three.contains(3, Long.MAX_VALUE));
        assertTrue(!three.contains(4, 0));
    }
}
