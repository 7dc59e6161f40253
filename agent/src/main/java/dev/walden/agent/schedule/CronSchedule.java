package dev.walden.agent.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A five-field cron expression ({@code minute hour day-of-month month day-of-week}, as in crontab(5)), parsed and
 * evaluated by cron-utils, in a time zone. Day of week 0 or 7 is Sunday; {@code 0#1} is the first Sunday of the month
 * and {@code 5L} the last Friday, so "04:00 on the first Sunday" is {@code 0 4 * * 0#1}.
 */
public final class CronSchedule {
    private static final CronDefinition DEFINITION = CronDefinitionBuilder.defineCron()
            .withMinutes().and()
            .withHours().and()
            .withDayOfMonth().supportsL().supportsW().supportsLW().supportsQuestionMark().and()
            .withMonth().and()
            .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0)
            .supportsHash().supportsL().supportsQuestionMark().and()
            .instance();
    private static final CronParser PARSER = new CronParser(DEFINITION);

    private final String expression;
    private final ExecutionTime execution;
    private final ZoneId zone;

    private CronSchedule(String expression, ExecutionTime execution, ZoneId zone) {
        this.expression = expression;
        this.execution = execution;
        this.zone = zone;
    }

    /** @throws IllegalArgumentException with what is wrong, when the expression is not a valid five-field cron line */
    public static CronSchedule parse(String expression, ZoneId zone) {
        String trimmed = expression.strip().replaceAll("\\s+", " ");
        if (trimmed.split(" ").length != 5) {
            throw new IllegalArgumentException("must be a cron expression of five fields (minute hour day-of-month month"
                    + " day-of-week), e.g. '0 2 * * *', got '" + expression + "'");
        }
        try {
            Cron cron = PARSER.parse(trimmed);
            cron.validate();
            return new CronSchedule(trimmed, ExecutionTime.forCron(cron), zone);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a valid cron expression ('" + expression + "'): " + e.getMessage());
        }
    }

    public String expression() {
        return expression;
    }

    public ZoneId zone() {
        return zone;
    }

    /** The first time strictly after {@code after} that the schedule fires. */
    public Optional<Instant> next(Instant after) {
        return execution.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
    }

    /** The last time at or before {@code atOrBefore} that the schedule fired. */
    public Optional<Instant> previous(Instant atOrBefore) {
        ZonedDateTime at = ZonedDateTime.ofInstant(atOrBefore, zone);
        if (execution.isMatch(at.withSecond(0).withNano(0)) && at.getSecond() == 0 && at.getNano() == 0) {
            return Optional.of(atOrBefore);
        }
        return execution.lastExecution(at).map(ZonedDateTime::toInstant);
    }

    @Override
    public String toString() {
        return expression + " (" + zone.getId() + ")";
    }
}
