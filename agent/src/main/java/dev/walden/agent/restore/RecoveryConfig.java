package dev.walden.agent.restore;

import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites postgresql.auto.conf for recovery: older restore_command and recovery_target* lines are commented out,
 * and Walden's settings appended, so that the last setting of each name, the one PostgreSQL uses, is Walden's.
 */
public final class RecoveryConfig {
    private RecoveryConfig() {}

    /** @param archivingOff write archive_mode = off (the default of walden restore; not for --archive-mode preserve) */
    record Settings(String restoreCommand, RecoveryTarget target, String targetAction, String targetTimeline, String backupId,
                    String when, boolean archivingOff, String primaryConninfo) {
        Settings(String restoreCommand, RecoveryTarget target, String targetAction, String targetTimeline, String backupId, String when) {
            this(restoreCommand, target, targetAction, targetTimeline, backupId, when, true, null);
        }

        Settings(String restoreCommand, RecoveryTarget target, String targetAction, String targetTimeline, String backupId,
                 String when, boolean archivingOff) {
            this(restoreCommand, target, targetAction, targetTimeline, backupId, when, archivingOff, null);
        }
    }

    static String rewrite(String existing, Settings settings) {
        List<String> lines = new ArrayList<>();
        for (String line : existing.split("\n", -1)) {
            String key = line.strip().split("[\\s=]", 2)[0];
            if (key.equals("restore_command") || key.startsWith("recovery_target") || (settings.archivingOff() && key.equals("archive_mode"))
                    || (settings.primaryConninfo() != null && (key.equals("primary_conninfo") || key.equals("primary_slot_name")))) {
                lines.add("# " + line + "    # commented out by walden restore " + settings.backupId());
            } else {
                lines.add(line);
            }
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        lines.add("# Recovery settings written by walden restore of backup " + settings.backupId() + " on " + settings.when());
        lines.add("restore_command = " + quote(settings.restoreCommand()));
        if (!settings.target().setting().isEmpty()) {
            lines.add(settings.target().setting() + " = " + quote(settings.target().value()));
        }
        if (settings.targetAction() != null) {
            lines.add("recovery_target_action = " + quote(settings.targetAction()));
        }
        if (settings.targetTimeline() != null) {
            lines.add("recovery_target_timeline = " + quote(settings.targetTimeline()));
        }
        if (settings.primaryConninfo() != null) {
            // A standby (standby.signal): it replays archived WAL through restore_command until it can stream from here.
            lines.add("primary_conninfo = " + quote(settings.primaryConninfo()));
        }
        if (settings.archivingOff()) {
            lines.add("# Archiving is off, so that this restored cluster never writes WAL or timeline history into the"
                    + " repository it was restored from. To archive (this cluster replaces the primary): ALTER SYSTEM RESET"
                    + " archive_mode; then restart, or restore with --archive-mode preserve.");
            lines.add("archive_mode = 'off'");
        }
        return String.join("\n", lines) + "\n";
    }

    /**
     * A configuration-file string as PostgreSQL's own parser reads it (guc-file.l): inside single quotes a backslash
     * starts an escape and a quote is doubled, so both are escaped here; a line break cannot be written inside a quoted
     * value at all, so it and every other control character are refused, never passed through.
     *
     * @throws IllegalArgumentException for a value with a control character
     */
    static String quote(String value) {
        checkValue("a recovery setting", value);
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /**
     * Refuses a value that cannot be written into postgresql.auto.conf as it is: one with a line break or another
     * control character, which could end the setting and start another.
     *
     * @param what what the value is, for the message, e.g. "--target-name"
     */
    public static void checkValue(String what, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException(what + " holds a control character (code " + (int) c + ") at position " + (i + 1)
                        + "; it cannot be written into postgresql.auto.conf safely, so nothing was written");
            }
        }
    }
}
