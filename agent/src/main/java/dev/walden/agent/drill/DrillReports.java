package dev.walden.agent.drill;

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
    private final BackupObjects objects;
    private final long systemIdentifier;

    public DrillReports(BackupObjects objects, long systemIdentifier) {
        this.objects = objects;
        this.systemIdentifier = systemIdentifier;
    }

    private String prefix() {
        return Long.toUnsignedString(systemIdentifier) + "/drill/";
    }

    /** Stores a report and removes those older than {@code retainDays} (never the newest). */
    public void store(DrillReport report, int retainDays, Instant now) throws IOException {
        String name = "drill/" + report.id();
        objects.writeBytes(Long.toUnsignedString(systemIdentifier) + "/" + name, name, ObjectKind.DRILL_REPORT, DrillJson.encode(report));
        List<String> all = objects.storage().list(prefix());
        String oldestKept = Drill.ID_TIME.format(now.minus(Duration.ofDays(retainDays)));
        for (int i = 0; i < all.size() - 1; i++) {
            String id = all.get(i).substring(prefix().length());
            if (id.compareTo(oldestKept) < 0) {
                objects.storage().delete(all.get(i));
            }
        }
    }

    public Optional<DrillReport> last() throws IOException, CorruptObjectException {
        List<String> all = objects.storage().list(prefix());
        if (all.isEmpty()) {
            return Optional.empty();
        }
        String key = all.get(all.size() - 1);
        return Optional.of(DrillJson.decode(objects.readBytes(key, key.substring(key.indexOf('/') + 1), ObjectKind.DRILL_REPORT, 16L << 20)));
    }
}
