package dev.walden.agent.schedule;

import java.util.List;

/**
 * The jobs the agent runs on a schedule, each as the command a DBA would type; backups of both types share one lane,
 * so an incremental never starts while the full is running.
 */
public enum JobKind {
    BACKUP_FULL("backup-full", "backup", List.of("backup", "--type", "full")),
    BACKUP_INCR("backup-incr", "backup", List.of("backup", "--type", "incr")),
    VERIFY("verify", "verify", List.of("verify")),
    DRILL("drill", "drill", List.of("drill")),
    DUMP("dump", "dump", List.of("dump"));

    /** Its name in options ({@code schedule-NAME}), run records and metrics. */
    public final String label;
    /** Jobs of one lane never overlap. */
    public final String lane;
    public final List<String> command;

    JobKind(String label, String lane, List<String> command) {
        this.label = label;
        this.lane = lane;
        this.command = command;
    }
}
