package dev.walden.agent.schedule;

import java.time.Instant;

/**
 * One run of a scheduled job, as stored in the repository.
 *
 * @param scheduled the time the schedule fired (for a run caught up at start-up, the firing that was missed)
 * @param outcome {@code success}, {@code failed} or {@code skipped} (the previous run of its lane was still going)
 */
public record RunRecord(String job, Instant scheduled, Instant started, Instant finished, String outcome, int exitCode,
                        String message, boolean catchUp) {
    public boolean succeeded() {
        return outcome.equals("success");
    }
}
