package dev.walden.agent.restore;

import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.wal.InvalidWalFileNameException;
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
    public static ArchiveReach of(Storage storage, long systemIdentifier, BackupSummary backup) throws IOException {
        long segmentSize = backup.walSegmentSize();
        String timeline = String.format("%08X", backup.timeline());
        String prefix = Long.toUnsignedString(systemIdentifier) + "/wal/" + timeline + "/";
        // Segment numbers only, a bit each (SegmentSet), from a streamed listing in whatever order it comes: then the
        // unbroken run from the backup's first segment, and whether anything follows a gap.
        long first = WalFileName.parse(backup.walStart()).segmentNumber(segmentSize);
        SegmentSet segments = new SegmentSet();
        storage.forEachObject(prefix, object -> {
            String name = object.key().substring(prefix.length());
            if (name.length() != 24) {
                return;  // history, backup history and partial files
            }
            try {
                segments.add(WalFileName.parse(name).segmentNumber(segmentSize));
            } catch (InvalidWalFileNameException notASegment) {
                // not ours
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
        return new ArchiveReach(lastName, new Lsn((last + 1) * segmentSize), storage.storedAt(prefix + lastName), beyondGap);
    }

    /** The start of the last segment of the run: an LSN recovery surely reaches (a record starts in every segment). */
    public Lsn lastSegmentStart(long segmentSize) {
        return new Lsn(endLsn.value() - segmentSize);
    }
}
