package dev.walden.agent.restore;

import dev.walden.agent.backup.Lsn;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;

/** Where recovery should stop, as {@code walden restore} was asked; written as PostgreSQL's recovery_target_* setting. */
public sealed interface RecoveryTarget {
    /** The setting's name and value for postgresql.auto.conf; empty name for the end of the archive. */
    String setting();

    String value();

    /** Recover to the end of the archive (no recovery_target_* setting). */
    record Latest() implements RecoveryTarget {
        public String setting() {
            return "";
        }

        public String value() {
            return "";
        }
    }

    /** Stop as soon as the backup is consistent. */
    record Immediate() implements RecoveryTarget {
        public String setting() {
            return "recovery_target";
        }

        public String value() {
            return "immediate";
        }
    }

    record Time(Instant instant, ZoneId zone) implements RecoveryTarget {
        public String setting() {
            return "recovery_target_time";
        }

        /** Always with an explicit offset, so that PostgreSQL and Walden read the same instant whatever TimeZone says. */
        public String value() {
            return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx").format(instant.atZone(zone));
        }
    }

    record Location(Lsn lsn) implements RecoveryTarget {
        public String setting() {
            return "recovery_target_lsn";
        }

        public String value() {
            return lsn.toString();
        }
    }

    record Xid(long xid) implements RecoveryTarget {
        public String setting() {
            return "recovery_target_xid";
        }

        public String value() {
            return Long.toString(xid);
        }
    }

    record Name(String name) implements RecoveryTarget {
        public String setting() {
            return "recovery_target_name";
        }

        public String value() {
            return name;
        }
    }

    DateTimeFormatter LOCAL = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd")
            .optionalStart().appendLiteral('T').optionalEnd()
            .optionalStart().appendLiteral(' ').optionalEnd()
            .appendPattern("HH:mm")
            .optionalStart().appendPattern(":ss").optionalEnd()
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .toFormatter().withResolverStyle(java.time.format.ResolverStyle.STRICT);

    /**
     * Parses a target time: ISO-8601 or PostgreSQL's {@code 2026-12-01 14:30:00+01}, with or without an offset
     * (without one, in {@code zone}); or only a time of day, {@code 14:30}, meaning today in {@code zone}.
     */
    public static Time parseTime(String text, ZoneId zone, LocalDate today) {
        String trimmed = text.strip();
        // A zone named at the end, as PostgreSQL accepts it: "2026-12-01 14:30 Europe/Berlin", "... CET", "... UTC".
        java.util.regex.Matcher named = java.util.regex.Pattern.compile("(.*[0-9])\\s+([A-Za-z][A-Za-z0-9/_+-]*)").matcher(trimmed);
        if (named.matches()) {
            ZoneId explicit;
            try {
                explicit = ZoneId.of(named.group(2), ZoneId.SHORT_IDS);
            } catch (java.time.DateTimeException e) {
                throw new IllegalArgumentException("--target-time '" + text + "' names the time zone '" + named.group(2)
                        + "', which is not one; use a name such as Europe/Berlin, an abbreviation such as CET, or an offset such as +01");
            }
            Time local = parseTime(named.group(1), explicit, today);
            return new Time(local.instant(), zone);
        }
        // An offset without a colon, as PostgreSQL accepts it: +0100, -0530.
        if (trimmed.matches(".*[0-9][+-][0-9]{4}")) {
            trimmed = trimmed.substring(0, trimmed.length() - 2) + ":" + trimmed.substring(trimmed.length() - 2);
        }
        try {
            return new Time(OffsetDateTime.parse(trimmed.replace(' ', 'T')).toInstant(), zone);
        } catch (DateTimeParseException notIso) {
            // try the other forms
        }
        try {
            String pg = trimmed.replace(' ', 'T');
            if (pg.matches(".*[+-][0-9]{2}$")) {
                pg = pg + ":00";
            }
            return new Time(OffsetDateTime.parse(pg).toInstant(), zone);
        } catch (DateTimeParseException notPostgres) {
            // try the other forms
        }
        try {
            return new Time(LocalDateTime.parse(trimmed, LOCAL).atZone(zone).toInstant(), zone);
        } catch (DateTimeParseException notLocal) {
            // try a time of day
        }
        try {
            return new Time(LocalTime.parse(trimmed).atDate(today).atZone(zone).toInstant(), zone);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--target-time '" + text + "' is not a time; use e.g. '2026-12-01 14:30:00+01',"
                    + " '2026-12-01T14:30:00Z', '2026-12-01 14:30' (in " + zone + ") or '14:30' (today)");
        }
    }
}
