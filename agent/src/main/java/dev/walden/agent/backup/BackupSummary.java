package dev.walden.agent.backup;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One backup as {@code walden backup list} shows it; the commit record holds exactly this, written last.
 *
 * @param references the backups whose objects a restore of this one reads (itself and its ancestors)
 * @param bytes the size of the data directory backed up
 * @param storedBytes what this backup added to the repository
 */
public record BackupSummary(
        String id,
        BackupType type,
        Optional<String> parent,
        List<String> references,
        Instant started,
        Instant stopped,
        Lsn startLsn,
        Lsn stopLsn,
        long timeline,
        long walSegmentSize,
        long bytes,
        long storedBytes,
        int pgVersion,
        long systemIdentifier) {

    public BackupSummary {
        references = List.copyOf(references);
    }

    /** The first WAL file a restore of this backup needs. */
    public String walStart() {
        return startLsn.segmentName(timeline, walSegmentSize);
    }

    /** The last WAL file needed to reach the backup's consistent point. */
    public String walStop() {
        return stopLsn.previousSegmentName(timeline, walSegmentSize);
    }
}
