package dev.walden.agent.metrics;

import dev.walden.agent.storage.StorageErrors;
import dev.walden.agent.storage.StorageFailureException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Every metric the agent exposes, declared here once with its help text: Micrometer meters in a Prometheus
 * registry, scraped by {@link MetricsEndpoint} and listed in docs/metrics.md, which {@link #markdown()} writes from
 * these same declarations. The push and fetch paths only increment counters and record timers (no allocation, no
 * locks beyond Micrometer's striped adders); everything else is a gauge read at scrape time.
 */
public final class WaldenMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final State state = new State();
    private final Timer pushTimer;
    private final Timer fetchTimer;
    private final StorageErrors storageErrors;
    private final Counter bytesIn;
    private final Counter bytesStored;
    private final Counter bytesFetched;
    private final Counter prefetchHits;
    private final Counter droppedSegments;
    private final Counter newerMajorSegments;
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();

    /** What the gauges read; updated by the commands as they finish, and from the repository at start-up. */
    static final class State {
        final AtomicLong lastPushSuccessMillis = new AtomicLong();
        final AtomicLong lastPushFailureMillis = new AtomicLong();
        final AtomicLong failingSinceMillis = new AtomicLong();
        final AtomicReference<String> lastFailure = new AtomicReference<>("");
        final AtomicReference<String> lastArchived = new AtomicReference<>("");
        final AtomicLong repositoryUp = new AtomicLong(1);
        final Map<String, double[]> backups = new ConcurrentHashMap<>();  // type -> [last success, last failure, duration, size]
        final AtomicLong recoveryWindowStartMillis = new AtomicLong();
        volatile java.util.function.IntSupplier spilledFiles = () -> 0;
        /** The WAL page magic of the newest untested PostgreSQL major seen since start; 0: none. */
        final java.util.concurrent.atomic.AtomicInteger newerMajorMagic = new java.util.concurrent.atomic.AtomicInteger();
        volatile double verifyLastRun = Double.NaN;
        volatile double verifyResult = Double.NaN;
        volatile double verifyMissingSegments = Double.NaN;
        volatile double drillLastRun = Double.NaN;
        volatile double drillSuccess = Double.NaN;
        volatile double drillRto = Double.NaN;
        volatile double drillRpo = Double.NaN;
    }

    /**
     * @param readyBacklog counts the {@code .ready} files in pg_wal/archive_status (NaN when pg-data is unset)
     * @param segmentSize the WAL segment size, for the lag in bytes
     * @param storageErrors the repository's storage failures since start, by kind
     * @param nextRuns when each scheduled job runs next, by job name
     */
    public WaldenMetrics(Supplier<Double> readyBacklog, long segmentSize, StorageErrors storageErrors,
                         Supplier<Map<String, Instant>> nextRuns) {
        MeterRegistry r = registry;
        this.storageErrors = storageErrors;
        for (StorageFailureException.Kind kind : StorageFailureException.Kind.values()) {
            io.micrometer.core.instrument.FunctionCounter.builder("walden.storage.errors", storageErrors, e -> e.count(kind))
                    .tag("kind", kind.label())
                    .description("Repository storage failures since start, by kind: unavailable (retried, then reported), "
                            + "permission_denied, out_of_space, read_only, corrupt (an object whose bytes are not what was stored)")
                    .register(r);
        }
        pushTimer = Timer.builder("walden.push.duration").description("Time to archive one WAL file (walden push), by the agent")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(r);
        fetchTimer = Timer.builder("walden.fetch.duration").description("Time to restore one WAL file (walden fetch), by the agent")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(r);
        bytesIn = Counter.builder("walden.archive.bytes").tag("direction", "in").baseUnit("bytes")
                .description("WAL bytes archived: in = read from pg_wal, stored = written to the repository (compressed, encrypted)").register(r);
        bytesStored = Counter.builder("walden.archive.bytes").tag("direction", "stored").baseUnit("bytes")
                .description("WAL bytes archived: in = read from pg_wal, stored = written to the repository (compressed, encrypted)").register(r);
        bytesFetched = Counter.builder("walden.fetch.bytes").baseUnit("bytes").description("WAL bytes restored to recovery").register(r);
        prefetchHits = Counter.builder("walden.prefetch.hits").description("Fetches served from the prefetch spool").register(r);
        droppedSegments = Counter.builder("walden.archive.dropped.segments").description("WAL segments acknowledged without being"
                + " stored since start (pg-wal-guard = drop, or spill when spill-path failed too): each is a gap point-in-time"
                + " recovery cannot cross").register(r);
        newerMajorSegments = Counter.builder("walden.archive.untested.major.files").description("WAL files archived since start"
                + " whose page magic is of a PostgreSQL major newer than Walden knows (walden status names it)").register(r);
        for (String reason : List.of("rejected", "conflict", "repository", "invalid_request", "internal")) {
            failure(reason);
        }
        gauge("walden.archive.last.success.timestamp.seconds", "When a push last succeeded (Unix time; 0: not since start)",
                s -> s.lastPushSuccessMillis.get() / 1000.0);
        gauge("walden.archive.ready.files", "WAL files PostgreSQL has marked .ready and not yet archived (pg_wal/archive_status)",
                s -> readyBacklog.get());
        gauge("walden.archive.lag.bytes", "WAL waiting to be archived: the .ready files times the segment size",
                s -> readyBacklog.get() * segmentSize);
        gauge("walden.archive.compression.ratio", "Bytes read from pg_wal per byte stored, since start",
                s -> bytesStored.count() == 0 ? Double.NaN : bytesIn.count() / bytesStored.count());
        gauge("walden.archive.spilled.files", "WAL files acknowledged into spill-path while the repository failed (pg-wal-guard = spill)"
                + " and not yet forwarded to it", s -> s.spilledFiles.getAsInt());
        gauge("walden.repository.up", "1 when the repository answered the agent's last probe (every minute), else 0",
                s -> s.repositoryUp.get());
        for (String type : List.of("full", "incr")) {
            state.backups.put(type, new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN});
            backupGauge("walden.backup.last.success.timestamp.seconds", "When the newest complete backup of this type ended (Unix time)", type, 0);
            backupGauge("walden.backup.last.failure.timestamp.seconds", "When a backup of this type last failed (Unix time; NaN: none since start)", type, 1);
            backupGauge("walden.backup.last.duration.seconds", "How long the newest complete backup of this type took", type, 2);
            backupGauge("walden.backup.last.size.bytes", "What the newest complete backup of this type added to the repository", type, 3);
        }
        gauge("walden.recovery.window.start.timestamp.seconds", "The earliest moment a point-in-time restore can reach (Unix time; 0: no backup)",
                s -> s.recoveryWindowStartMillis.get() / 1000.0);
        gauge("walden.verify.last.run.timestamp.seconds", "When walden verify last finished (Unix time)", s -> s.verifyLastRun);
        gauge("walden.verify.last.result", "The last verify's exit code: 0 everything holds, 1 problems found, 2 could not check",
                s -> s.verifyResult);
        gauge("walden.verify.missing.segments", "WAL files the last verify found missing (gaps and backups' own WAL)",
                s -> s.verifyMissingSegments);
        gauge("walden.drill.last.run.timestamp.seconds", "When the last restore drill finished (Unix time)", s -> s.drillLastRun);
        gauge("walden.drill.last.success", "1 when the last drill passed every check, 0 when it failed", s -> s.drillSuccess);
        gauge("walden.drill.rto.seconds", "The last drill's measured recovery time: restore, WAL replay, until the server accepted connections",
                s -> s.drillRto);
        gauge("walden.drill.rpo.seconds", "The last drill's recovery point: seconds between the last transaction it recovered and the drill's start",
                s -> s.drillRpo);
        for (String job : List.of("backup-full", "backup-incr", "verify", "drill", "dump")) {
            Gauge.builder("walden.schedule.next.run.timestamp.seconds", () -> {
                Instant next = nextRuns.get().get(job);
                return next == null ? Double.NaN : next.toEpochMilli() / 1000.0;
            }).tag("job", job).description("When the scheduled job runs next (Unix time; NaN: not scheduled)").register(r);
        }
        new JvmMemoryMetrics().bindTo(r);
        new JvmGcMetrics().bindTo(r);
        new JvmThreadMetrics().bindTo(r);
        new ClassLoaderMetrics().bindTo(r);
        new ProcessorMetrics().bindTo(r);
        new UptimeMetrics().bindTo(r);
    }

    private void gauge(String name, String help, ToDoubleFunction<State> value) {
        Gauge.builder(name, state, value).description(help).register(registry);
    }

    private void backupGauge(String name, String help, String type, int index) {
        Gauge.builder(name, state, s -> s.backups.get(type)[index]).tag("type", type).description(help).register(registry);
    }

    private Counter failure(String reason) {
        return failures.computeIfAbsent(reason, r -> Counter.builder("walden.archive.failures").tag("reason", r)
                .description("Pushes that failed, by reason (rejected, conflict, repository, invalid_request, internal)").register(registry));
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    // --- archiving: the hot path ---

    public void pushSucceeded(String name, long originalBytes, long storedBytes, long nanos, long nowMillis) {
        state.lastArchived.set(name);
        pushTimer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        bytesIn.increment(originalBytes);
        bytesStored.increment(storedBytes);
        state.lastPushSuccessMillis.set(nowMillis);
        state.failingSinceMillis.set(0);
    }

    /**
     * What the repository says was archived last, read at start-up: so that status and the gauges after a restart say
     * what is true, not "nothing since start". A push since start is newer and is kept.
     */
    public void archivedBeforeStart(String name, Instant at) {
        if (state.lastPushSuccessMillis.compareAndSet(0, at.toEpochMilli())) {
            state.lastArchived.compareAndSet("", name);
        }
    }

    /** @param reason one of the failure reasons above */
    public void pushFailed(String reason, String message, long nanos, long nowMillis) {
        pushTimer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        failure(reason).increment();
        state.lastPushFailureMillis.set(nowMillis);
        state.failingSinceMillis.compareAndSet(0, nowMillis);
        state.lastFailure.set(message);
    }

    /**
     * A WAL file of a PostgreSQL major newer than Walden knows was archived.
     *
     * @return whether it is the first of that magic since the agent started (the caller warns once)
     */
    public boolean newerMajorArchived(int magic) {
        newerMajorSegments.increment();
        return state.newerMajorMagic.getAndSet(magic) != magic;
    }

    /** The WAL page magic of an untested, newer PostgreSQL seen since start, or 0. */
    public int newerMajorMagic() {
        return state.newerMajorMagic.get();
    }

    public void fetched(long bytes, long nanos) {
        fetchTimer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        bytesFetched.increment(bytes);
    }

    public void fetchMissed(long nanos) {
        fetchTimer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** The repository's storage failures since start, for status. */
    public StorageErrors storageErrors() {
        return storageErrors;
    }

    public void segmentDropped() {
        droppedSegments.increment();
    }

    public void prefetchHit() {
        prefetchHits.increment();
    }

    // --- everything else ---

    public void repositoryUp(boolean up) {
        state.repositoryUp.set(up ? 1 : 0);
    }

    public boolean repositoryUp() {
        return state.repositoryUp.get() == 1;
    }

    public void backupSucceeded(String type, Instant stopped, double seconds, long storedBytes) {
        double[] b = state.backups.get(type);
        b[0] = stopped.toEpochMilli() / 1000.0;
        b[2] = seconds;
        b[3] = storedBytes;
    }

    public void backupFailed(String type, Instant at) {
        state.backups.get(type)[1] = at.toEpochMilli() / 1000.0;
    }

    /**
     * With several repositories: how far each is behind the others (objects it still lacks, and for how long), one
     * gauge pair per repository, registered once they are known.
     */
    public void repositoryLag(Supplier<List<dev.walden.agent.storage.mirror.Mirror.Lag>> lag) {
        for (dev.walden.agent.storage.mirror.Mirror.Lag one : lag.get()) {
            int number = one.number();
            Gauge.builder("walden.repository.behind.objects", lag, l -> l.get().stream().filter(x -> x.number() == number)
                            .mapToDouble(dev.walden.agent.storage.mirror.Mirror.Lag::objects).sum())
                    .tag("repository", Integer.toString(number))
                    .description("Objects (WAL, backup and dump objects, records) this repository lacks of what was written to the"
                            + " others while it failed, queued in the spool for it; 0: in step")
                    .register(registry);
            Gauge.builder("walden.repository.behind.seconds", lag, l -> l.get().stream().filter(x -> x.number() == number)
                            .mapToDouble(x -> x.seconds(Instant.now())).sum())
                    .tag("repository", Integer.toString(number))
                    .description("How long this repository has lacked the oldest object queued for it; 0: in step")
                    .register(registry);
        }
    }

    /** Where the spilled-files gauge reads from (pg-wal-guard = spill). */
    public void spilledFiles(java.util.function.IntSupplier files) {
        state.spilledFiles = files;
    }

    public void recoveryWindowStart(Instant from) {
        state.recoveryWindowStartMillis.set(from.toEpochMilli());
    }

    public void verified(Instant finished, int exitCode, int missingSegments) {
        state.verifyLastRun = finished.toEpochMilli() / 1000.0;
        state.verifyResult = exitCode;
        state.verifyMissingSegments = missingSegments;
    }

    private final Map<String, double[]> dumps = new ConcurrentHashMap<>();

    /** A dump of {@code database} ({@code (globals)} for the globals) completed: its gauge appears on first use. */
    public void dumpSucceeded(String database, Instant stopped) {
        dumps.computeIfAbsent(database, d -> {
            double[] value = {Double.NaN};
            Gauge.builder("walden.dump.last.success.timestamp.seconds", value, v -> v[0]).tag("database", d)
                    .description("When the newest complete logical dump of this database ended (Unix time); database=\"(globals)\" for roles and tablespaces")
                    .register(registry);
            return value;
        })[0] = stopped.toEpochMilli() / 1000.0;
    }

    public void drilled(Instant finished, boolean passed, double rtoSeconds, double rpoSeconds) {
        state.drillLastRun = finished.toEpochMilli() / 1000.0;
        state.drillSuccess = passed ? 1 : 0;
        state.drillRto = rtoSeconds;
        state.drillRpo = rpoSeconds;
    }

    /** Archiving's state for status and notifications. */
    public record Archiving(String lastArchived, long lastSuccessMillis, long lastFailureMillis, long failingSinceMillis,
                            String lastFailure, double failures) {}

    public Archiving archiving() {
        double total = failures.values().stream().mapToDouble(Counter::count).sum();
        return new Archiving(state.lastArchived.get(), state.lastPushSuccessMillis.get(), state.lastPushFailureMillis.get(), state.failingSinceMillis.get(),
                state.lastFailure.get(), total);
    }

    /** docs/metrics.md, written from the meters as registered, so the document cannot drift from the code. */
    public static String markdown() {
        WaldenMetrics metrics = new WaldenMetrics(() -> Double.NaN, 16 << 20, new StorageErrors(java.time.Clock.systemUTC()), Map::of);
        metrics.dumpSucceeded("postgres", Instant.EPOCH);  // registered on first use: shown here as for one database
        // registered with several repositories: shown here as for repository 2
        metrics.repositoryLag(() -> List.of(new dev.walden.agent.storage.mirror.Mirror.Lag(2, "", 0, java.util.Optional.empty())));
        StringBuilder md = new StringBuilder("""
                # Metrics

                Generated by `walden-agent metrics --markdown` from the agent's own meter definitions
                (`dev.walden.agent.metrics.WaldenMetrics`); a test fails when this file and the code differ.

                Set `metrics-listen = 127.0.0.1:9187` and scrape `http://127.0.0.1:9187/metrics` (Prometheus text format).
                Alert rules: `packaging/prometheus/walden-alerts.yml` (tested by `promtool test rules walden-alerts.test.yml`); dashboard:
                `packaging/grafana/walden-dashboard.json`. Both are installed under `/opt/walden/share/`.
                Unix times are seconds; NaN means "not known yet" (nothing of that kind happened since the agent started and
                none is recorded in the repository).

                | metric | type | labels | meaning |
                |---|---|---|---|
                """);
        List<String[]> rows = new ArrayList<>();
        String help = null;
        String type = null;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String line : metrics.scrape().split("\n")) {
            if (line.startsWith("# HELP ")) {
                String rest = line.substring(7);
                help = rest.substring(rest.indexOf(' ') + 1);
            } else if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring(7).split(" ");
                type = parts[1];
                String name = parts[0];
                if (name.startsWith("walden_") && seen.add(name)) {
                    rows.add(new String[] {name, type, "", help});
                }
            } else if (!line.startsWith("#") && line.startsWith("walden_") && line.contains("{")) {
                String name = line.substring(0, line.indexOf('{'));
                String labels = line.substring(line.indexOf('{') + 1, line.indexOf('}'));
                for (String[] row : rows) {
                    String base = row[0];
                    if (name.equals(base) || name.equals(base + "_total") || name.startsWith(base + "_")) {
                        for (String label : labels.split(",")) {
                            String key = label.substring(0, label.indexOf('='));
                            if (!key.equals("le") && !row[2].contains(key)) {
                                row[2] = row[2].isEmpty() ? key : row[2] + ", " + key;
                            }
                        }
                    }
                }
            }
        }
        rows.sort(java.util.Comparator.comparing(r -> r[0]));
        for (String[] row : rows) {
            md.append("| `").append(row[0]).append("` | ").append(row[1]).append(" | ").append(row[2].isEmpty() ? "" : "`" + row[2] + "`")
                    .append(" | ").append(row[3]).append(" |\n");
        }
        md.append("""

                Also the JVM's, through Micrometer's binders: `jvm_memory_*`, `jvm_gc_*`, `jvm_threads_*`, `jvm_classes_*`,
                `process_cpu_usage`, `system_cpu_*`, `process_uptime_seconds`, `process_start_time_seconds`.
                """);
        metrics.registry.close();
        return md.toString();
    }
}
