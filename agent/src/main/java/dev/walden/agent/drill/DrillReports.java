package dev.walden.agent.drill;

import dev.walden.agent.records.RecordLog;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Drill reports in the repository: {@code SYSID/drill/ID} (ID is the drill's start, {@code YYYYMMDD-HHMMSS} UTC),
 * kept for {@code retain-drill-days}; the newest is always kept.
 */
public final class DrillReports {
    private final RecordLog log;

    public DrillReports(BackupObjects objects, long systemIdentifier) {
        this.log = new RecordLog(objects, systemIdentifier, "drill", ObjectKind.DRILL_REPORT, 16L << 20);
    }

    /** Stores a report and removes those older than {@code retainDays} (never the newest). */
    public void store(DrillReport report, int retainDays, Instant now) throws IOException {
        log.add(report.id(), DrillJson.encode(report));
        log.removeBefore(Drill.ID_TIME.format(now.minus(Duration.ofDays(retainDays))));
    }

    public Optional<DrillReport> last() throws IOException, CorruptObjectException {
        List<String> all = log.stamps();
        return all.isEmpty() ? Optional.empty() : Optional.of(DrillJson.decode(log.read(all.get(all.size() - 1))));
    }
}
