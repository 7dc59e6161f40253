package dev.walden.agent.restore;

import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.repository.WalArchive;
import dev.walden.agent.wal.WalFileKind;
import dev.walden.agent.wal.SegmentSet;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * How far recovery from a backup can go on its own timeline: the unbroken run of archived segments from the backup's
 * first one, when its last segment was stored, and whether more WAL lies beyond a gap (expired by retention, or
 * missing), which recovery would never reach.
 *
 * @param lastSegment  the last segment of the unbroken run
 * @param endLsn       the end of that segment: no recovery target beyond it can be reached
 * @param lastStored   when that segment was stored, which bounds the time of anything recovery replays
 * @param beyondGap    whether the timeline has archived segments after a gap in the run
 */
public record ArchiveReach(String lastSegment, Lsn endLsn, Optional<Instant> lastStored, boolean beyondGap) {

    /** The reach of {@code backup}'s recovery on its own timeline. */
    public static ArchiveReach of(WalArchive archive, BackupSummary backup) throws IOException {
        long segmentSize = backup.walSegmentSize();
        // Segment numbers only, a bit each (SegmentSet), from a streamed listing in whatever order it comes: then the
        // unbroken run from the backup's first segment, and whether anything follows a gap.
        long first = WalFileName.parse(backup.walStart()).segmentNumber(segmentSize);
        SegmentSet segments = new SegmentSet();
        archive.forEach(backup.timeline(), file -> {
            if (file.name().kind() == WalFileKind.SEGMENT) {  // not history, backup history or partial files
                segments.add(file.name().segmentNumber(segmentSize));
            }
        });
        long last = first - 1;
        while (segments.contains(last + 1)) {
            last++;
        }
        boolean beyondGap = segments.nextAtOrAfter(last + 1) >= 0;
        if (last < first) {
            return new ArchiveReach(backup.walStart(), backup.startLsn(), Optional.empty(), beyondGap);
        }
        String lastName = Lsn.segmentName(backup.timeline(), last, segmentSize);
        return new ArchiveReach(lastName, new Lsn((last + 1) * segmentSize), archive.storedAt(WalFileName.parse(lastName)), beyondGap);
    }

    /** The start of the last segment of the run: an LSN recovery surely reaches (a record starts in every segment). */
    public Lsn lastSegmentStart(long segmentSize) {
        return new Lsn(endLsn.value() - segmentSize);
    }
}
