package dev.walden.agent.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.Hold;
import dev.walden.agent.backup.BackupType;
import dev.walden.agent.backup.Lsn;
import dev.walden.agent.wal.TimelineHistory;
import dev.walden.agent.wal.WalFileName;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Two years of nightly full backups and 6-hourly incrementals under 30 daily, 12 weekly, 12 monthly and 7 yearly,
 * 48 hours of incrementals and 7 days of PITR, expired after every backup as the agent does, on a fake clock in a
 * zone with daylight-saving time. Spans a leap day, month ends and both DST changes of two years.
 */
class RetentionRulesTest {
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final long SEGMENT = 16L << 20;
    static final Instant ORIGIN = LocalDate.of(2023, 3, 1).atStartOfDay(BERLIN).toInstant();
    static final RetentionPolicy GFS = RetentionPolicy.of(Optional.of(30), Optional.of(12), Optional.of(12), Optional.of(7),
            Optional.of(48), Optional.of(7), BERLIN);
    static final WalJudge.Histories ONE_TIMELINE = TimelineHistory::root;

    /** The repository of the simulation: what survived every expiry so far. */
    final List<BackupSummary> backups = new ArrayList<>();
    final TreeSet<Long> segments = new TreeSet<>();
    long nextSegment = 1;

    /** WAL is written at one segment per 30 minutes from the origin. */
    static long segmentAt(Instant time) {
        return Duration.between(ORIGIN, time).toMinutes() / 30 + 1;
    }

    static String segmentName(long timeline, long segment) {
        return Lsn.segmentName(timeline, segment, SEGMENT);
    }

    BackupSummary take(LocalDate day, LocalTime time, BackupType type) {
        Instant started = day.atTime(time).atZone(BERLIN).toInstant();
        Instant stopped = started.plus(Duration.ofMinutes(10));
        long first = segmentAt(started);
        for (; nextSegment <= first + 1; nextSegment++) {
            segments.add(nextSegment);
        }
        String id = day.toString().replace("-", "") + "-" + time.toString().replace(":", "") + "00" + type.suffix;
        Optional<String> parent = type == BackupType.INCR ? Optional.of(backups.get(backups.size() - 1).id()) : Optional.empty();
        List<String> references = new ArrayList<>();
        if (parent.isPresent()) {
            references.addAll(backups.get(backups.size() - 1).references());
        }
        references.add(id);
        BackupSummary backup = new BackupSummary(id, type, parent, references, started, stopped, new Lsn(first * SEGMENT + 0x28),
                new Lsn((first + 1) * SEGMENT + 0x100), 1, SEGMENT, 1 << 30, 1 << 20, 150010, 42);
        backups.add(backup);
        return backup;
    }

    List<ArchivedFile> wal() {
        List<ArchivedFile> files = new ArrayList<>();
        files.add(new ArchivedFile(WalFileName.parse("00000002.history"), 100));
        segments.forEach(s -> files.add(new ArchivedFile(WalFileName.parse(segmentName(1, s)), 1000)));
        return files;
    }

    /** A plan with the archive judged as {@link Expiry} judges it: file by file, into a tally, in a walk's shuffled order. */
    record Judged(ExpiryPlan plan, List<ArchivedFile> kept, List<ArchivedFile> expired) {}

    static Judged judged(RetentionPolicy policy, Instant now, List<BackupSummary> backups, List<String> leftovers, List<Hold> holds,
                         List<ArchivedFile> wal, WalJudge.Histories histories) throws Exception {
        ExpiryPlan plan = RetentionRules.plan(policy, now, backups, leftovers, holds);
        WalJudge judge = plan.walJudge(histories);
        WalTally tally = new WalTally();
        List<ArchivedFile> shuffled = new ArrayList<>(wal);
        Collections.shuffle(shuffled, new Random(wal.size()));
        List<ArchivedFile> kept = new ArrayList<>();
        List<ArchivedFile> expired = new ArrayList<>();
        for (ArchivedFile file : shuffled) {
            WalJudge.Verdict verdict = judge.verdict(file.name());
            tally.add(file.name(), file.storedBytes(), verdict);
            (verdict.kept() ? kept : expired).add(file);
        }
        ExpiryPlan withWal = plan.withWalRanges(tally.ranges());
        assertEquals(expired.size(), withWal.expiredWalFiles());
        assertEquals(naiveRanges(wal, judge), withWal.walRanges(), "runs do not depend on the listing's order");
        return new Judged(withWal, kept, expired);
    }

    /** The runs as a sorted list gives them: files in name order per timeline, neighbours of one verdict joined. */
    static List<ExpiryPlan.WalRange> naiveRanges(List<ArchivedFile> wal, WalJudge judge) throws Exception {
        List<ArchivedFile> sorted = new ArrayList<>(wal);
        sorted.sort(java.util.Comparator.comparing((ArchivedFile f) -> f.name().timeline()).thenComparing(f -> f.name().name()));
        List<ExpiryPlan.WalRange> ranges = new ArrayList<>();
        for (ArchivedFile f : sorted) {
            WalJudge.Verdict v = judge.verdict(f.name());
            ExpiryPlan.WalRange open = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
            if (open != null && open.timeline() == f.name().timeline() && open.kept() == v.kept() && open.reason().equals(v.reason())) {
                ranges.set(ranges.size() - 1, new ExpiryPlan.WalRange(open.timeline(), open.first(), f.name().name(), open.files() + 1,
                        open.storedBytes() + f.storedBytes(), open.kept(), open.reason()));
            } else {
                ranges.add(new ExpiryPlan.WalRange(f.name().timeline(), f.name().name(), f.name().name(), 1, f.storedBytes(), v.kept(),
                        v.reason()));
            }
        }
        return ranges;
    }

    /** Runs the policy and deletes what it expires, as {@link Expiry} does. */
    Judged expire(RetentionPolicy policy, Instant now, List<Hold> holds) throws Exception {
        Judged judged = judged(policy, now, List.copyOf(backups), List.of(), holds, wal(), ONE_TIMELINE);
        Set<String> expired = judged.plan().expiredBackups().stream().map(BackupSummary::id).collect(Collectors.toSet());
        backups.removeIf(b -> expired.contains(b.id()));
        for (ArchivedFile file : judged.expired()) {
            assertTrue(segments.remove(file.name().segmentNumber(SEGMENT)), file.name().name());
        }
        return judged;
    }

    void simulate(LocalDate from, LocalDate through) throws Exception {
        for (LocalDate day = from; !day.isAfter(through); day = day.plusDays(1)) {
            for (LocalTime time : List.of(LocalTime.of(0, 30), LocalTime.of(6, 30), LocalTime.of(12, 30), LocalTime.of(18, 30))) {
                BackupSummary b = take(day, time, time.getHour() == 0 ? BackupType.FULL : BackupType.INCR);
                expire(GFS, b.stopped(), List.of());
            }
        }
    }

    Set<String> fullDays() {
        return backups.stream().filter(b -> b.type() == BackupType.FULL).map(b -> b.started().atZone(BERLIN).toLocalDate().toString())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void twoYearsOfNightlyFullsAndSixHourlyIncrementalsKeepExactlyTheGrandfatherFatherSonSet() throws Exception {
        simulate(LocalDate.of(2023, 3, 1), LocalDate.of(2024, 3, 10));
        // Mid-way, a leap day is its month's newest full.
        assertTrue(fullDays().contains("2024-02-29"), fullDays().toString());

        simulate(LocalDate.of(2024, 3, 11), LocalDate.of(2025, 3, 5));
        TreeSet<String> expected = new TreeSet<>();
        for (LocalDate d = LocalDate.of(2025, 2, 4); !d.isAfter(LocalDate.of(2025, 3, 5)); d = d.plusDays(1)) {
            expected.add(d.toString());  // daily: the 30 most recent days
        }
        // weekly: this week's newest (Wednesday) and the eleven Sundays before; weeks begin on Monday in Berlin
        expected.addAll(List.of("2025-03-02", "2025-02-23", "2025-02-16", "2025-02-09", "2025-02-02", "2025-01-26", "2025-01-19",
                "2025-01-12", "2025-01-05", "2024-12-29", "2024-12-22"));
        // monthly: each month's last day, across both DST changes and a 28-day February
        expected.addAll(List.of("2025-02-28", "2025-01-31", "2024-12-31", "2024-11-30", "2024-10-31", "2024-09-30", "2024-08-31",
                "2024-07-31", "2024-06-30", "2024-05-31", "2024-04-30"));
        expected.add("2023-12-31");  // yearly: 2025 and 2024 are already kept
        assertEquals(expected, fullDays());

        // Incrementals of the last 48 hours, and those earlier ones of the same chains that they read.
        Set<String> incrementals = backups.stream().filter(b -> b.type() == BackupType.INCR).map(BackupSummary::id)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(List.of("20250303-063000I", "20250303-123000I", "20250303-183000I", "20250304-063000I",
                "20250304-123000I", "20250304-183000I", "20250305-063000I", "20250305-123000I", "20250305-183000I")), incrementals);

        // WAL: everything from the window's anchor on; for older kept backups only their own two segments.
        Instant now = backups.get(backups.size() - 1).stopped();
        Judged lastRun = expire(GFS, now, List.of());
        ExpiryPlan last = lastRun.plan();
        assertEquals("20250226-003000F", last.windowAnchor().orElseThrow());
        assertFalse(last.windowFrom().orElseThrow().isAfter(now.minus(Duration.ofDays(7))));
        BackupSummary anchor = backups.stream().filter(b -> b.id().equals("20250226-003000F")).findFirst().orElseThrow();
        TreeSet<Long> expectedSegments = new TreeSet<>();
        long anchorFirst = anchor.startLsn().value() / SEGMENT;
        for (long s = anchorFirst; s < nextSegment; s++) {
            expectedSegments.add(s);
        }
        for (BackupSummary b : backups) {
            expectedSegments.add(b.startLsn().value() / SEGMENT);
            expectedSegments.add((b.stopLsn().value() - 1) / SEGMENT);
        }
        assertEquals(expectedSegments, segments);
        assertTrue(lastRun.kept().stream().anyMatch(f -> f.name().name().equals("00000002.history")));
        assertTrue(last.expiredBackups().isEmpty() && lastRun.expired().isEmpty(), "a second run on the same state deletes nothing");
    }

    @Test
    void everyVerdictNamesItsRule() throws Exception {
        simulate(LocalDate.of(2024, 10, 1), LocalDate.of(2024, 11, 20));
        ExpiryPlan plan = judged(GFS, backups.get(backups.size() - 1).stopped(), backups, List.of("20241121-003000F"),
                List.of(), wal(), ONE_TIMELINE).plan();
        var byId = plan.backups().stream().collect(Collectors.toMap(v -> v.backup().id(), v -> v.reasons()));
        assertEquals(List.of("newest full backup", "daily 2024-11-20", "weekly 2024-W47", "monthly 2024-11", "yearly 2024",
                "needed by 20241120-183000I", "needed by 20241120-123000I", "needed by 20241120-063000I"), byId.get("20241120-003000F"));
        assertTrue(byId.get("20241031-003000F").contains("monthly 2024-10"), byId.get("20241031-003000F").toString());
        assertTrue(byId.get("20241120-183000I").contains("newest backup"));
        // 48 h old to the minute, it is kept, and so are the incrementals of its chain that it reads
        assertEquals(List.of("incremental within 48 h"), byId.get("20241118-183000I"));
        assertEquals(List.of("needed by 20241118-183000I", "needed by 20241118-123000I"), byId.get("20241118-063000I"));
        assertEquals(List.of("20241121-003000F"), plan.leftovers());
        assertTrue(plan.walRanges().stream().anyMatch(r -> r.kept() && r.reason().startsWith("point-in-time window")));
    }

    @Test
    void withNoRetentionOptionNothingIsDeleted() throws Exception {
        simulate(LocalDate.of(2024, 1, 1), LocalDate.of(2024, 1, 3));
        Judged judged = judged(RetentionPolicy.none(BERLIN), Instant.parse("2030-01-01T00:00:00Z"), backups, List.of(),
                List.of(), wal(), ONE_TIMELINE);
        assertTrue(judged.plan().expiredBackups().isEmpty());
        assertTrue(judged.expired().isEmpty());
    }

    @Test
    void theNewestFullAndHeldBackupsAreNeverExpired() throws Exception {
        RetentionPolicy oneDay = RetentionPolicy.of(Optional.of(1), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(1), Optional.of(1), BERLIN);
        BackupSummary old = take(LocalDate.of(2024, 1, 1), LocalTime.of(0, 30), BackupType.FULL);
        BackupSummary held = take(LocalDate.of(2024, 1, 2), LocalTime.of(0, 30), BackupType.FULL);
        BackupSummary newestFull = take(LocalDate.of(2024, 1, 3), LocalTime.of(0, 30), BackupType.FULL);
        take(LocalDate.of(2024, 1, 3), LocalTime.of(6, 30), BackupType.INCR);
        Instant now = Instant.parse("2024-06-01T00:00:00Z");
        List<Hold> holds = List.of(new Hold(held.id(), now.minusSeconds(86400), Optional.empty()),
                new Hold(old.id(), now.minusSeconds(86400 * 30), Optional.of(now.minusSeconds(86400))));
        ExpiryPlan plan = expire(oneDay, now, holds).plan();
        assertEquals(List.of(old.id()), plan.expiredBackups().stream().map(BackupSummary::id).toList(), "a lapsed hold keeps nothing");
        assertTrue(backups.stream().anyMatch(b -> b.id().equals(held.id())));
        assertTrue(backups.stream().anyMatch(b -> b.id().equals(newestFull.id())));
        // the held backup keeps its own WAL range
        assertTrue(segments.contains(held.startLsn().value() / SEGMENT));
    }

    @Test
    void incrementalsFollowTheirFullWhenRetainIncrHoursIsUnset() throws Exception {
        RetentionPolicy daily = RetentionPolicy.of(Optional.of(2), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(1), BERLIN);
        for (int day = 1; day <= 4; day++) {
            take(LocalDate.of(2024, 1, day), LocalTime.of(0, 30), BackupType.FULL);
            take(LocalDate.of(2024, 1, day), LocalTime.of(6, 30), BackupType.INCR);
        }
        expire(daily, Instant.parse("2024-01-10T00:00:00Z"), List.of());
        assertEquals(List.of("20240103-003000F", "20240103-063000I", "20240104-003000F", "20240104-063000I"),
                backups.stream().map(BackupSummary::id).toList());
    }

    @Test
    void timelinesAreKeptApart() throws Exception {
        // Backup A on timeline 1; a promotion at segment 40 makes timeline 2, where backup B is taken much later.
        // Timeline 3 branched off timeline 1 at segment 5, before A started: nothing kept needs it.
        long a = 20;
        BackupSummary backupA = new BackupSummary("20240101-000000F", BackupType.FULL, Optional.empty(), List.of("20240101-000000F"),
                Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2024-01-01T00:10:00Z"), new Lsn(a * SEGMENT + 0x28),
                new Lsn((a + 1) * SEGMENT + 0x100), 1, SEGMENT, 1, 1, 150010, 42);
        BackupSummary backupB = new BackupSummary("20240301-000000F", BackupType.FULL, Optional.empty(), List.of("20240301-000000F"),
                Instant.parse("2024-03-01T00:00:00Z"), Instant.parse("2024-03-01T00:10:00Z"), new Lsn(60 * SEGMENT + 0x28),
                new Lsn(61 * SEGMENT + 0x100), 2, SEGMENT, 1, 1, 150010, 42);
        List<ArchivedFile> files = new ArrayList<>();
        for (long s = 1; s <= 40; s++) {
            files.add(new ArchivedFile(WalFileName.parse(segmentName(1, s)), 1));
        }
        for (long s = 40; s <= 70; s++) {
            files.add(new ArchivedFile(WalFileName.parse(segmentName(2, s)), 1));
        }
        for (long s = 5; s <= 30; s++) {
            files.add(new ArchivedFile(WalFileName.parse(segmentName(3, s)), 1));
        }
        files.add(new ArchivedFile(WalFileName.parse("00000002.history"), 1));
        files.add(new ArchivedFile(WalFileName.parse("00000003.history"), 1));
        WalJudge.Histories histories = tl -> switch ((int) tl) {
            case 2 -> TimelineHistory.parse(2, "1\t0/" + Long.toHexString(40 * SEGMENT).toUpperCase() + "\tpromoted\n");
            case 3 -> TimelineHistory.parse(3, "1\t0/" + Long.toHexString(5 * SEGMENT).toUpperCase() + "\trestored\n");
            default -> TimelineHistory.root(tl);
        };
        RetentionPolicy policy = RetentionPolicy.of(Optional.of(10), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(7), BERLIN);
        Judged judged = judged(policy, Instant.parse("2024-03-20T00:00:00Z"), List.of(backupA, backupB), List.of(),
                List.of(), files, histories);
        Set<String> kept = judged.kept().stream().map(f -> f.name().name()).collect(Collectors.toCollection(TreeSet::new));
        TreeSet<String> expected = new TreeSet<>(List.of("00000002.history", "00000003.history", segmentName(1, 20), segmentName(1, 21)));
        for (long s = 60; s <= 70; s++) {
            expected.add(segmentName(2, s));
        }
        assertEquals(expected, kept);
    }
}
