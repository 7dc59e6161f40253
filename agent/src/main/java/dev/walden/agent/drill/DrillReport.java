package dev.walden.agent.drill;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What one restore drill did and found (schema in docs/runbook.md, "Drills"). A drill passes only when every check
 * passed and recovery reached its target (or, for the latest state, the end of the archive).
 *
 * @param target {@code latest}, {@code immediate} (the backup's consistent point) or the target time
 * @param recoveryEnd the LSN where recovery ended (the new timeline's switch point); empty if it never ended
 * @param archiveEnd the end of the newest WAL segment archived when the drill started, on the backup's timeline
 * @param lastTransaction the commit time of the last transaction recovery replayed
 * @param error why the drill could not run to its end (restore refused, server would not start), if it did not
 */
public record DrillReport(String id, Instant started, Instant finished, String backup, String target,
                          Phases phases, long bytesRestored, long walReplayedBytes, Optional<String> recoveryEnd,
                          Optional<String> archiveEnd, Optional<Instant> lastTransaction, List<Check> checks,
                          Optional<String> error, boolean kept, String directory) {

    public static final String FORMAT = "walden-drill-report";
    public static final int VERSION = 1;
    static final double HUNDRED_GB = 100e9;

    public DrillReport {
        checks = List.copyOf(checks);
    }

    /** Seconds spent restoring files, fetching and replaying WAL until the server was promoted, and checking. */
    public record Phases(double restoreSeconds, double recoverySeconds, double checkSeconds) {}

    /** One check and what it found. */
    public record Check(String name, boolean passed, String detail) {}

    public boolean passed() {
        return error.isEmpty() && !checks.isEmpty() && checks.stream().allMatch(Check::passed);
    }

    /** Restore plus recovery: how long until the restored cluster accepted connections. */
    public double rtoSeconds() {
        return phases.restoreSeconds() + phases.recoverySeconds();
    }

    /** Seconds between the last transaction recovered and the drill's start: the data a disaster then would have lost, at most. */
    public Optional<Double> rpoSeconds() {
        return lastTransaction.map(t -> Math.max(0, (started.toEpochMilli() - t.toEpochMilli()) / 1000.0));
    }

    public double restoreBytesPerSecond() {
        return phases.restoreSeconds() <= 0 ? 0 : bytesRestored / phases.restoreSeconds();
    }

    /**
     * The RTO of a 100 GB restore: the restore time scaled by size (it is bound by read and write throughput), plus
     * this drill's recovery time, which depends on the WAL to replay rather than the database's size.
     */
    public double rtoFor100GbSeconds() {
        return bytesRestored <= 0 ? Double.NaN : phases.restoreSeconds() * HUNDRED_GB / bytesRestored + phases.recoverySeconds();
    }

    public int exitCode() {
        return passed() ? 0 : 1;
    }
}
