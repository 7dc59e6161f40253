package dev.walden.agent.verify;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of one {@code walden verify}: what was checked, every problem found, and whether the check could run
 * at all. Stored in the repository and printed with {@code --json}, in the schema of docs/runbook.md.
 *
 * @param readSince in a full verify, objects stored before this were not read again: a verify that found everything whole
 *                  read them since they were stored (objects are never rewritten). Empty: every object was read (or, with
 *                  {@code quick}, none)
 * @param error why the check could not be completed (storage unreachable, ...): then the exit code is 2
 */
public record VerifyReport(Instant started, Instant finished, boolean quick, Optional<Instant> readSince, String repository,
                           Optional<String> systemIdentifier, Counts checked, List<Problem> problems, Optional<String> error) {

    public static final String FORMAT = "walden-verify-report";
    public static final int VERSION = 1;

    public VerifyReport {
        problems = List.copyOf(problems);
    }

    /**
     * What was looked at.
     *
     * @param unchanged objects a full verify did not read again, because an earlier one had read them whole
     */
    public record Counts(int backups, int walFiles, int objects, long bytesRead, int timelines, int unchanged) {}

    /** Whether this verify read every object: a pass that the next verifies can build on, and count from. */
    public boolean readEverything() {
        return !quick && readSince.isEmpty();
    }

    /**
     * One problem.
     *
     * @param kind a stable code: {@code wal-gap}, {@code backup-wal-missing}, {@code object-missing}, {@code object-damaged},
     *             {@code object-size}, {@code manifest-missing}, {@code manifest-damaged}, {@code manifest-mismatch},
     *             {@code timeline-history}, {@code catalog}
     * @param object the repository key concerned, if one
     * @param backups the backups it affects
     * @param first, last for a gap: the first and last missing WAL file
     */
    public record Problem(String kind, Optional<String> object, List<String> backups, Optional<String> first, Optional<String> last,
                          String message) {
        public Problem {
            backups = List.copyOf(backups);
        }

        static Problem of(String kind, String object, List<String> backups, String message) {
            return new Problem(kind, Optional.ofNullable(object), backups, Optional.empty(), Optional.empty(), message);
        }
    }

    /** 0 when everything holds, 1 when problems were found, 2 when it could not check. */
    public int exitCode() {
        return error.isPresent() ? 2 : problems.isEmpty() ? 0 : 1;
    }

    public String result() {
        return error.isPresent() ? "error" : problems.isEmpty() ? "ok" : "problems";
    }
}
