package dev.walden.agent.schedule;

import dev.walden.agent.repository.RepositoryFormatException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Runs the configured jobs on their cron schedules, on one scheduler thread that sleeps until the next firing and
 * one thread per running job. Like systemd's {@code Persistent=true}, a firing missed while the agent was down (the
 * newest recorded run is older than the schedule's latest firing) runs once at start-up. Jobs of one lane never
 * overlap: a firing that finds its lane busy is recorded as skipped. Every run is recorded in the repository.
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Scheduler.class.getName());
    private static final Duration LONGEST_SLEEP = Duration.ofMinutes(1);

    /** A job and when it runs. */
    public record Job(JobKind kind, CronSchedule schedule) {}

    /** Runs a job's command to its end and says how it went. */
    @FunctionalInterface
    public interface JobRunner {
        Outcome run(JobKind kind);
    }

    /** How a job ended: the command's exit code and its last line. */
    public record Outcome(int exitCode, String message) {}

    /** Told of every finished run, e.g. the metrics and notifications. */
    @FunctionalInterface
    public interface RunListener {
        void finished(RunRecord run);
    }

    private final List<Job> jobs;
    private final JobRunner runner;
    private final RunRecords records;
    private final RunListener listener;
    private final Clock clock;
    private final Set<String> busyLanes = ConcurrentHashMap.newKeySet();
    private final List<Thread> running = Collections.synchronizedList(new ArrayList<>());
    private final Map<JobKind, Instant> nextRun = new ConcurrentHashMap<>();
    private volatile Instant checkedUpTo;
    private volatile boolean closed;
    private Thread loop;

    public Scheduler(List<Job> jobs, JobRunner runner, RunRecords records, RunListener listener, Clock clock) {
        this.jobs = List.copyOf(jobs);
        this.runner = runner;
        this.records = records;
        this.listener = listener;
        this.clock = clock;
    }

    public List<Job> jobs() {
        return jobs;
    }

    /** When each job runs next (jobs whose schedule never fires again are absent). */
    public Map<JobKind, Instant> nextRuns() {
        Map<JobKind, Instant> copy = new LinkedHashMap<>();
        for (Job job : jobs) {
            Instant next = nextRun.get(job.kind());
            if (next != null) {
                copy.put(job.kind(), next);
            }
        }
        return copy;
    }

    /** Catches up missed firings, then runs the loop on its own thread. */
    public void start() {
        if (jobs.isEmpty()) {
            return;
        }
        // The catch-up reads run records from the repository: on the scheduler's thread, never on start-up's path,
        // so an unreachable repository cannot hold the agent past systemd's start timeout.
        updateNextRuns(clock.instant());
        loop = Thread.ofPlatform().name("walden-scheduler").daemon().start(() -> {
            catchUp(clock.instant());
            while (!closed) {
                Instant at = clock.instant();
                runDue(at);
                Instant wake = nextRuns().values().stream().min(Instant::compareTo).orElse(at.plus(LONGEST_SLEEP));
                long millis = Math.max(200, Math.min(Duration.between(clock.instant(), wake).toMillis() + 50, LONGEST_SLEEP.toMillis()));
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        LOG.info("schedules: " + String.join("; ", jobs.stream().map(j -> j.kind().label + " " + j.schedule()
                + nextRuns().entrySet().stream().filter(e -> e.getKey() == j.kind()).map(e -> ", next " + e.getValue()).findFirst()
                .orElse("")).toList()));
    }

    /**
     * Runs, once each, the jobs whose latest firing at or before {@code now} is newer than their newest recorded run.
     * Jobs never run before are not caught up: a new schedule starts with its next firing.
     */
    void catchUp(Instant now) {
        for (Job job : jobs) {
            Optional<Instant> latest = job.schedule().previous(now);
            Optional<RunRecord> last;
            try {
                last = records.last(job.kind().label);
            } catch (IOException | RepositoryFormatException e) {
                LOG.warning("cannot read the run records of " + job.kind().label + " (" + e.getMessage() + "); no catch-up for it");
                last = Optional.empty();
            }
            if (latest.isPresent() && last.isPresent() && last.get().scheduled().isBefore(latest.get())) {
                LOG.info(job.kind().label + " last ran for " + last.get().scheduled() + " and missed " + latest.get()
                        + " while the agent was down: running it now");
                launch(job, latest.get(), true);
            }
        }
        checkedUpTo = now;
        updateNextRuns(now);
    }

    /** Runs every job that fired after the last check and at or before {@code now}; several missed firings run once. */
    void runDue(Instant now) {
        Instant from = checkedUpTo == null ? now : checkedUpTo;
        for (Job job : jobs) {
            Optional<Instant> next = job.schedule().next(from);
            if (next.isPresent() && !next.get().isAfter(now)) {
                launch(job, job.schedule().previous(now).orElse(next.get()), false);
            }
        }
        checkedUpTo = now;
        updateNextRuns(now);
    }

    private void updateNextRuns(Instant now) {
        for (Job job : jobs) {
            job.schedule().next(now).ifPresentOrElse(n -> nextRun.put(job.kind(), n), () -> nextRun.remove(job.kind()));
        }
    }

    private void launch(Job job, Instant scheduled, boolean catchUp) {
        String lane = job.kind().lane;
        if (!busyLanes.add(lane)) {
            Instant now = clock.instant();
            record(new RunRecord(job.kind().label, scheduled, now, now, "skipped", -1,
                    "skipped: the previous " + lane + " job was still running", catchUp));
            return;
        }
        Thread thread = Thread.ofPlatform().name("walden-job-" + job.kind().label).daemon().unstarted(() -> {
            Instant started = clock.instant();
            Outcome outcome;
            try {
                outcome = runner.run(job.kind());
            } catch (RuntimeException e) {
                outcome = new Outcome(1, "internal error: " + e);
            } finally {
                busyLanes.remove(lane);
            }
            record(new RunRecord(job.kind().label, scheduled, started, clock.instant(), outcome.exitCode() == 0 ? "success" : "failed",
                    outcome.exitCode(), outcome.message(), catchUp));
        });
        running.add(thread);
        thread.start();
    }

    private void record(RunRecord run) {
        if (run.succeeded()) {
            LOG.info("scheduled " + run.job() + " succeeded: " + run.message());
        } else {
            LOG.warning("scheduled " + run.job() + " " + run.outcome() + ": " + run.message());
        }
        try {
            if (!records.store(run)) {
                LOG.info("run of " + run.job() + " not recorded: the repository has no cluster yet");
            }
        } catch (IOException | RepositoryFormatException e) {
            LOG.warning("could not record the run of " + run.job() + ": " + e.getMessage());
        }
        listener.finished(run);
    }

    /** Waits until every job started so far has finished (tests, and shutdown). */
    void awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : new ArrayList<>(running)) {
            t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
    }

    /**
     * Runs a job now, outside its schedule (the pg_wal guard's full backup after WAL was dropped), recorded like a
     * scheduled run; skipped, and recorded so, when its lane is busy.
     */
    public void runNow(JobKind kind) {
        launch(new Job(kind, null), clock.instant(), false);
    }

    /** Current lanes in use, for status. */
    public Set<String> busy() {
        return Set.copyOf(busyLanes);
    }

    @Override
    public void close() {
        closed = true;
        if (loop != null) {
            loop.interrupt();
        }
    }

}
