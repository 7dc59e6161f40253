package dev.walden.agent.backup;

import java.time.Instant;
import java.util.Optional;

/**
 * A DBA's hold on a backup ({@code walden backup keep ID [--until DATE]}): while it lasts, retention never expires
 * the backup, nor anything it needs.
 *
 * @param until when the hold lapses; empty: until released
 */
public record Hold(String backupId, Instant since, Optional<Instant> until) {
    public boolean activeAt(Instant now) {
        return until.isEmpty() || until.get().isAfter(now);
    }
}
