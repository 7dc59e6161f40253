package dev.walden.agent.verify;

import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import java.io.IOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

/**
 * Where verify results are kept, through the same object format and encryption as everything else:
 * {@code SYSID/verify/YYYYMMDD-HHMMSS}, one object per run, the newest {@link #KEPT} kept. {@code walden status}
 * and the metrics read the newest.
 */
public final class VerifyResults {
    static final int KEPT = 30;
    private static final DateTimeFormatter KEY_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private final BackupObjects objects;
    private final long systemIdentifier;

    public VerifyResults(BackupObjects objects, long systemIdentifier) {
        this.objects = objects;
        this.systemIdentifier = systemIdentifier;
    }

    private String prefix() {
        return Long.toUnsignedString(systemIdentifier) + "/verify/";
    }

    /** Stores a report, then removes the oldest beyond the newest {@link #KEPT}. */
    public void store(VerifyReport report) throws IOException {
        String stamp = KEY_TIME.format(report.finished());
        List<String> existing = objects.storage().list(prefix());
        String name = "verify/" + stamp;
        for (int n = 1; existing.contains(prefix() + name.substring("verify/".length())); n++) {
            name = "verify/" + stamp + "-" + n;
        }
        objects.writeBytes(Long.toUnsignedString(systemIdentifier) + "/" + name, name, ObjectKind.VERIFY_REPORT, VerifyJson.encode(report));
        List<String> all = objects.storage().list(prefix());
        for (int i = 0; i < all.size() - KEPT; i++) {
            objects.storage().delete(all.get(i));
        }
    }

    /** The newest stored report, if any. */
    public Optional<VerifyReport> last() throws IOException, CorruptObjectException, VerifyJson.FormatException {
        List<String> all = objects.storage().list(prefix());
        if (all.isEmpty()) {
            return Optional.empty();
        }
        String key = all.get(all.size() - 1);
        String name = key.substring(Long.toUnsignedString(systemIdentifier).length() + 1);
        return Optional.of(VerifyJson.decode(objects.readBytes(key, name, ObjectKind.VERIFY_REPORT, 64L << 20)));
    }
}
