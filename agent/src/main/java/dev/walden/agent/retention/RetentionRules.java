package dev.walden.agent.retention;

import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.Hold;
import dev.walden.agent.backup.BackupType;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The retention policy as a pure function of the catalog, the archived WAL and a clock (docs/runbook.md "Retention").
 *
 * <p>Backups: a backup is kept when any rule keeps it: the newest full, the newest backup, a daily, weekly, monthly
 * or yearly period whose newest full it is, an active hold, the incremental rule, the point-in-time window's anchor,
 * or because a kept backup reads its objects. WAL: every file from the anchor's start onward on the timelines that
 * descend from it; for every other kept backup, the files from its start to its stop; every {@code .history} file
 * ({@link WalJudge}).
 * Everything else goes.
 */
public final class RetentionRules {
    /** The first word of the reason the monthly and yearly rules give (StorageTiers reads them). */
    static final String MONTHLY = "monthly";
    static final String YEARLY = "yearly";

    private RetentionRules() {}

    /**
     * @param complete the complete backups, oldest first, as {@link dev.walden.agent.backup.BackupCatalog#list} gives them
     * @param leftovers backups without a commit record; the caller holds the backup lock, so none of them is running
     * @return the verdicts on backups; those on WAL files come from {@link ExpiryPlan#walJudge}
     */
    public static ExpiryPlan plan(RetentionPolicy policy, Instant now, List<BackupSummary> complete, List<String> leftovers,
                                  List<Hold> holds) {
        if (!policy.enabled()) {
            return new ExpiryPlan(policy, now, complete.stream().map(b -> new ExpiryPlan.BackupVerdict(b, true,
                    List.of("no retention policy set"))).toList(), List.of(), List.of(), Optional.empty(), Optional.empty());
        }
        Map<String, LinkedHashSet<String>> reasons = new LinkedHashMap<>();
        complete.forEach(b -> reasons.put(b.id(), new LinkedHashSet<>()));
        List<BackupSummary> newestFirst = new ArrayList<>(complete);
        java.util.Collections.reverse(newestFirst);
        List<BackupSummary> fullsNewestFirst = newestFirst.stream().filter(b -> b.type() == BackupType.FULL).toList();

        fullsNewestFirst.stream().findFirst().ifPresent(b -> reasons.get(b.id()).add("newest full backup"));
        newestFirst.stream().findFirst().ifPresent(b -> reasons.get(b.id()).add("newest backup"));
        tiers(policy, fullsNewestFirst, BackupSummary::started, b -> reasons.get(b.id()));
        for (Hold hold : holds) {
            if (reasons.containsKey(hold.backupId()) && hold.activeAt(now)) {
                reasons.get(hold.backupId()).add(hold.until().map(u -> "held until " + u).orElse("held"));
            }
        }
        Map<String, BackupSummary> byId = new HashMap<>();
        complete.forEach(b -> byId.put(b.id(), b));
        for (BackupSummary b : complete) {
            if (b.type() != BackupType.INCR) {
                continue;
            }
            if (policy.incrHours().isPresent()) {
                if (!b.stopped().isBefore(now.minus(Duration.ofHours(policy.incrHours().get())))) {
                    reasons.get(b.id()).add("incremental within " + policy.incrHours().get() + " h");
                }
            } else {
                fullOf(b, byId).filter(full -> !reasons.get(full.id()).isEmpty())
                        .ifPresent(full -> reasons.get(b.id()).add("incremental on kept full " + full.id()));
            }
        }
        // The window's anchor: the newest backup that ended before the window opened, so that every moment inside it
        // can be reached; one already kept by another rule is preferred. With none that old, the oldest backup.
        Instant windowOpens = now.minus(Duration.ofDays(policy.pitrDays()));
        Optional<BackupSummary> anchor = newestFirst.stream().filter(b -> !b.stopped().isAfter(windowOpens))
                .filter(b -> !reasons.get(b.id()).isEmpty()).findFirst();
        if (anchor.isEmpty()) {
            anchor = newestFirst.stream().filter(b -> !b.stopped().isAfter(windowOpens)).findFirst();
        }
        if (anchor.isEmpty() && !complete.isEmpty()) {
            anchor = Optional.of(complete.get(0));
        }
        anchor.ifPresent(b -> reasons.get(b.id()).add("anchors the " + policy.pitrDays() + "-day point-in-time window"));
        // What kept backups read must stay: walk from the newest, whose references are complete lists of ancestors.
        for (BackupSummary b : newestFirst) {
            if (!reasons.get(b.id()).isEmpty()) {
                for (String reference : b.references()) {
                    if (!reference.equals(b.id()) && reasons.containsKey(reference)) {
                        reasons.get(reference).add("needed by " + b.id());
                    }
                }
            }
        }
        List<ExpiryPlan.BackupVerdict> verdicts = new ArrayList<>();
        for (BackupSummary b : complete) {
            Set<String> why = reasons.get(b.id());
            if (why.isEmpty()) {
                verdicts.add(new ExpiryPlan.BackupVerdict(b, false, List.of(b.type() == BackupType.FULL
                        ? "no rule keeps it" : policy.incrHours().map(h -> "incremental older than " + h + " h")
                        .orElse("its full backup expires"))));
            } else {
                verdicts.add(new ExpiryPlan.BackupVerdict(b, true, List.copyOf(why)));
            }
        }
        return new ExpiryPlan(policy, now, verdicts, leftovers, List.of(), anchor.map(BackupSummary::stopped),
                anchor.map(BackupSummary::id));
    }

    /**
     * Where point-in-time recovery can start from: the backup whose end opens the recovery window. Under a retention
     * policy it is the window's anchor as expiry keeps it; without one, nothing expires, so it is the oldest backup.
     * Status, verify, the metrics and expiry all take the window from here.
     *
     * @param complete the complete backups, oldest first
     */
    public static Optional<BackupSummary> windowAnchor(RetentionPolicy policy, Instant now, List<BackupSummary> complete) {
        if (complete.isEmpty()) {
            return Optional.empty();
        }
        if (!policy.enabled()) {
            return Optional.of(complete.get(0));
        }
        String id = plan(policy, now, complete, List.of(), List.of()).windowAnchor().orElseThrow();
        return complete.stream().filter(b -> b.id().equals(id)).findFirst();
    }

    private static <T> void periods(List<T> newestFirst, int count, String tier, Function<T, String> period,
                                    Function<T, Set<String>> reasons) {
        Set<String> seen = new LinkedHashSet<>();
        for (T item : newestFirst) {
            String key = period.apply(item);
            if (seen.contains(key)) {
                continue;
            }
            if (seen.size() == count) {
                return;
            }
            seen.add(key);
            reasons.apply(item).add(tier + " " + key);
        }
    }

    /** The daily, weekly, monthly and yearly tiers over any dated items, e.g. one database's dumps. */
    private static <T> void tiers(RetentionPolicy policy, List<T> newestFirst, Function<T, Instant> started,
                                  Function<T, Set<String>> reasons) {
        ZoneId zone = policy.zone();
        policy.daily().ifPresent(n -> periods(newestFirst, n, "daily", t -> started.apply(t).atZone(zone).toLocalDate().toString(), reasons));
        policy.weekly().ifPresent(n -> periods(newestFirst, n, "weekly", t -> isoWeek(started.apply(t).atZone(zone)), reasons));
        policy.monthly().ifPresent(n -> periods(newestFirst, n, MONTHLY,
                t -> java.time.YearMonth.from(started.apply(t).atZone(zone)).toString(), reasons));
        policy.yearly().ifPresent(n -> periods(newestFirst, n, YEARLY, t -> Integer.toString(started.apply(t).atZone(zone).getYear()), reasons));
    }

    /**
     * Grandfather-father-son over one series of items, oldest first (a database's dumps): the newest is always kept
     * (as {@code newestReason}), each tier keeps the newest item of its periods; an empty list of reasons means the
     * item expires. Without a policy, every item is kept.
     */
    public static <T> Map<T, List<String>> periods(RetentionPolicy policy, List<T> oldestFirst, Function<T, Instant> started,
                                                   String newestReason) {
        Map<T, LinkedHashSet<String>> reasons = new LinkedHashMap<>();
        oldestFirst.forEach(t -> reasons.put(t, new LinkedHashSet<>()));
        if (!policy.enabled()) {
            reasons.values().forEach(r -> r.add("no retention policy set"));
        } else if (!oldestFirst.isEmpty()) {
            List<T> newestFirst = new ArrayList<>(oldestFirst);
            java.util.Collections.reverse(newestFirst);
            reasons.get(newestFirst.get(0)).add(newestReason);
            tiers(policy, newestFirst, started, reasons::get);
        }
        Map<T, List<String>> result = new LinkedHashMap<>();
        reasons.forEach((t, r) -> result.put(t, List.copyOf(r)));
        return result;
    }

    private static String isoWeek(ZonedDateTime time) {
        return String.format("%d-W%02d", time.get(IsoFields.WEEK_BASED_YEAR), time.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
    }

    /** The full backup at the root of an incremental's parent chain, if it is still listed. */
    private static Optional<BackupSummary> fullOf(BackupSummary b, Map<String, BackupSummary> byId) {
        BackupSummary current = b;
        for (int depth = 0; depth < 10_000 && current != null; depth++) {
            if (current.type() == BackupType.FULL) {
                return Optional.of(current);
            }
            current = current.parent().map(byId::get).orElse(null);
        }
        return Optional.empty();
    }
}
