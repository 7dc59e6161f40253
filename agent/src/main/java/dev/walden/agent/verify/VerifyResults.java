package dev.walden.agent.verify;

import dev.walden.agent.records.RecordLog;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import java.io.IOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.Instant;
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
    private final RecordLog log;

    public VerifyResults(BackupObjects objects, long systemIdentifier) {
        this.log = new RecordLog(objects, systemIdentifier, "verify", ObjectKind.VERIFY_REPORT, 64L << 20);
    }

    /** Stores a report, then removes the oldest beyond the newest {@link #KEPT}. */
    public void store(VerifyReport report) throws IOException {
        log.add(KEY_TIME.format(report.finished()), VerifyJson.encode(report));
        log.keepNewest(KEPT);
    }

    /**
     * What a full verify now need not read again: objects stored before the start of the newest verify that found
     * everything whole, provided a verify that read everything did so within {@code allEvery}. Empty when everything
     * must be read: no such verify is kept, or the last read-everything pass is older than {@code allEvery}.
     */
    public Optional<Instant> readSince(Instant now, java.time.Duration allEvery)
            throws IOException, CorruptObjectException, VerifyJson.FormatException {
        Optional<Instant> lastWhole = Optional.empty();
        Optional<Instant> lastAll = Optional.empty();
        List<String> all = log.stamps();
        for (int i = all.size() - 1; i >= 0 && lastAll.isEmpty(); i--) {
            VerifyReport report = read(all.get(i));
            if (report.quick() || report.exitCode() != 0) {
                continue;
            }
            if (lastWhole.isEmpty()) {
                lastWhole = Optional.of(report.started());
            }
            if (report.readEverything()) {
                lastAll = Optional.of(report.started());
            }
        }
        if (lastAll.isEmpty() || lastAll.get().isBefore(now.minus(allEvery))) {
            return Optional.empty();
        }
        // A margin for a store's clock that runs behind the agent's: an object stored just before the pass started
        // might not have been listed by it.
        return lastWhole.map(t -> t.minus(STORE_CLOCK_MARGIN));
    }

    /** How far a store's clock may run behind the agent's before an object could be taken for one already read. */
    static final java.time.Duration STORE_CLOCK_MARGIN = java.time.Duration.ofHours(1);

    private VerifyReport read(String stamp) throws IOException, CorruptObjectException, VerifyJson.FormatException {
        return VerifyJson.decode(log.read(stamp));
    }

    /** The newest stored report, if any. */
    public Optional<VerifyReport> last() throws IOException, CorruptObjectException, VerifyJson.FormatException {
        List<String> all = log.stamps();
        return all.isEmpty() ? Optional.empty() : Optional.of(read(all.get(all.size() - 1)));
    }
}
