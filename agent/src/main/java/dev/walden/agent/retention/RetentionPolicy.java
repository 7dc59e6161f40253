package dev.walden.agent.retention;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What to keep, from the {@code retain-*} options (docs/configuration.md). Validated at start-up; immutable.
 *
 * @param daily, weekly, monthly, yearly how many periods, each keeping its newest complete full backup
 * @param incrHours how long incrementals are kept; empty: as long as the full backup they are built on
 * @param pitrDays the point-in-time window, in days
 * @param zone where days, weeks (ISO, from Monday) and months begin
 * @param enabled whether any retain-* option was set: without one nothing is ever deleted
 */
public record RetentionPolicy(
        Optional<Integer> daily,
        Optional<Integer> weekly,
        Optional<Integer> monthly,
        Optional<Integer> yearly,
        Optional<Integer> incrHours,
        int pitrDays,
        ZoneId zone,
        boolean enabled) {

    public static final int DEFAULT_PITR_DAYS = 7;

    /** From the options as given; unset options are empty. */
    public static RetentionPolicy of(Optional<Integer> daily, Optional<Integer> weekly, Optional<Integer> monthly,
                                     Optional<Integer> yearly, Optional<Integer> incrHours, Optional<Integer> pitrDays, ZoneId zone) {
        boolean enabled = daily.isPresent() || weekly.isPresent() || monthly.isPresent() || yearly.isPresent()
                || incrHours.isPresent() || pitrDays.isPresent();
        return new RetentionPolicy(daily, weekly, monthly, yearly, incrHours, pitrDays.orElse(DEFAULT_PITR_DAYS), zone, enabled);
    }

    /** Nothing is deleted. */
    public static RetentionPolicy none(ZoneId zone) {
        return of(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), zone);
    }

    /** One line for logs and reports, e.g. {@code daily 30, weekly 12, incrementals 48 h, PITR 7 days (Europe/Berlin)}. */
    public String describe() {
        if (!enabled) {
            return "no retention policy (no retain-* option set): nothing is deleted";
        }
        List<String> parts = new ArrayList<>();
        daily.ifPresent(n -> parts.add("daily " + n));
        weekly.ifPresent(n -> parts.add("weekly " + n));
        monthly.ifPresent(n -> parts.add("monthly " + n));
        yearly.ifPresent(n -> parts.add("yearly " + n));
        parts.add(incrHours.map(h -> "incrementals " + h + " h").orElse("incrementals with their full"));
        parts.add("PITR " + pitrDays + " days");
        return String.join(", ", parts) + " (" + zone.getId() + ")";
    }
}
