package dev.walden.agent.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.ZstdCompressor;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.storage.LocalDirectoryStorage;
import dev.walden.agent.testing.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schedules on a fake clock, with run records in a real local repository. */
class SchedulerTest {
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @TempDir
    Path dir;

    RunRecords records() throws Exception {
        LocalDirectoryStorage storage = new LocalDirectoryStorage(dir.resolve("repo"));
        Repository repository = new Repository(storage);
        repository.claim(42, "none");
        return new RunRecords(repository, new BackupObjects(storage, new ZstdCompressor(1), ObjectEncryption.none(), Keyring.EMPTY));
    }

    @Test
    void cronExpressionsAreEvaluatedInTheirZoneWithFirstSundayAndDaylightSavingTime() {
        CronSchedule firstSunday = CronSchedule.parse("0 4 * * 0#1", BERLIN);
        assertEquals(Instant.parse("2026-12-06T03:00:00Z"), firstSunday.next(Instant.parse("2026-12-01T00:00:00Z")).orElseThrow());
        assertEquals(Instant.parse("2027-01-03T03:00:00Z"), firstSunday.next(Instant.parse("2026-12-06T03:00:00Z")).orElseThrow());
        CronSchedule nightly = CronSchedule.parse("0 2 * * *", BERLIN);
        // 2027-03-28 02:00 does not exist in Berlin; the next firing after that day's 01:00 is not lost
        assertTrue(nightly.next(Instant.parse("2027-03-27T23:30:00Z")).orElseThrow().isBefore(Instant.parse("2027-03-29T01:00:01Z")));
        assertEquals(Instant.parse("2026-12-01T01:00:00Z"), nightly.previous(Instant.parse("2026-12-01T05:00:00Z")).orElseThrow());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 25 * * *", BERLIN));
        assertTrue(bad.getMessage().contains("cron"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CronSchedule.parse("0 2 * *", BERLIN));
    }

    @Test
    void aScheduledJobRunsWhenItsTimeComesOnAFakeClockAndIsRecorded() throws Exception {
        TestClock clock = new TestClock("2026-12-01T00:30:00Z");
        List<JobKind> ran = new CopyOnWriteArrayList<>();
        RunRecords records = records();
        List<RunRecord> finished = new CopyOnWriteArrayList<>();
        Scheduler scheduler = new Scheduler(List.of(new Scheduler.Job(JobKind.BACKUP_FULL, CronSchedule.parse("0 2 * * *", BERLIN))),
                kind -> {
                    ran.add(kind);
                    return new Scheduler.Outcome(0, "backup 20261201-010000F complete");
                }, records, finished::add, clock);
        scheduler.catchUp(clock.instant());
        assertTrue(ran.isEmpty(), "a job never run before is not caught up");
        assertEquals(Instant.parse("2026-12-01T01:00:00Z"), scheduler.nextRuns().get(JobKind.BACKUP_FULL));
        clock.set(Instant.parse("2026-12-01T00:59:59Z"));
        scheduler.runDue(clock.instant());
        assertTrue(ran.isEmpty());
        clock.set(Instant.parse("2026-12-01T01:00:00Z"));
        scheduler.runDue(clock.instant());
        scheduler.awaitIdle(Duration.ofSeconds(10));
        assertEquals(List.of(JobKind.BACKUP_FULL), ran);
        RunRecord last = records.last("backup-full").orElseThrow();
        assertEquals("success", last.outcome());
        assertEquals(Instant.parse("2026-12-01T01:00:00Z"), last.scheduled());
        assertEquals(1, finished.size());
        assertEquals(Instant.parse("2026-12-02T01:00:00Z"), scheduler.nextRuns().get(JobKind.BACKUP_FULL));
    }

    @Test
    void aFiringMissedWhileTheAgentWasDownRunsOnceAtStartUp() throws Exception {
        RunRecords records = records();
        records.store(new RunRecord("backup-full", Instant.parse("2026-11-28T01:00:00Z"), Instant.parse("2026-11-28T01:00:00Z"),
                Instant.parse("2026-11-28T01:10:00Z"), "success", 0, "ok", false));
        TestClock clock = new TestClock("2026-12-01T09:00:00Z");  // three nightly firings missed
        List<JobKind> ran = new CopyOnWriteArrayList<>();
        Scheduler scheduler = new Scheduler(List.of(new Scheduler.Job(JobKind.BACKUP_FULL, CronSchedule.parse("0 2 * * *", BERLIN)),
                new Scheduler.Job(JobKind.VERIFY, CronSchedule.parse("0 3 * * *", BERLIN))), kind -> {
                    ran.add(kind);
                    return new Scheduler.Outcome(0, "done");
                }, records, run -> {}, clock);
        scheduler.catchUp(clock.instant());
        scheduler.awaitIdle(Duration.ofSeconds(10));
        assertEquals(List.of(JobKind.BACKUP_FULL), ran, "once, not three times; verify never ran before so it waits");
        RunRecord caught = records.last("backup-full").orElseThrow();
        assertTrue(caught.catchUp());
        assertEquals(Instant.parse("2026-12-01T01:00:00Z"), caught.scheduled());
    }

    @Test
    void jobsOfOneLaneNeverOverlap() throws Exception {
        TestClock clock = new TestClock("2026-12-01T00:59:00Z");
        CountDownLatch release = new CountDownLatch(1);
        RunRecords records = records();
        Scheduler scheduler = new Scheduler(List.of(new Scheduler.Job(JobKind.BACKUP_FULL, CronSchedule.parse("0 * * * *", BERLIN)),
                new Scheduler.Job(JobKind.BACKUP_INCR, CronSchedule.parse("30 * * * *", BERLIN))), kind -> {
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return new Scheduler.Outcome(0, "done");
                }, records, run -> {}, clock);
        scheduler.catchUp(clock.instant());
        clock.set(Instant.parse("2026-12-01T01:00:00Z"));
        scheduler.runDue(clock.instant());
        clock.set(Instant.parse("2026-12-01T01:30:00Z"));
        scheduler.runDue(clock.instant());
        assertEquals("skipped", records.last("backup-incr").orElseThrow().outcome(), "the full backup still runs");
        release.countDown();
        scheduler.awaitIdle(Duration.ofSeconds(10));
        assertEquals("success", records.last("backup-full").orElseThrow().outcome());
    }
}
