package dev.walden.agent.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupSummary;
import dev.walden.agent.backup.BackupType;
import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.drill.DrillReport;
import dev.walden.agent.drill.DrillReports;
import dev.walden.agent.metrics.WaldenMetrics;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.retention.RetentionPolicy;
import dev.walden.agent.retention.RetentionRules;
import dev.walden.agent.schedule.JobKind;
import dev.walden.agent.storage.StorageErrors;
import dev.walden.agent.storage.StorageFailureException;
import dev.walden.agent.schedule.RunRecord;
import dev.walden.agent.schedule.RunRecords;
import dev.walden.agent.schedule.Scheduler;
import dev.walden.agent.verify.VerifyReport;
import dev.walden.agent.verify.VerifyResults;
import dev.walden.protocol.Result;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code walden status [--json]}: one screen for a DBA, and a monitoring check: exit 0 healthy, 1 warnings, 2 critical
 * (docs/runbook.md, "Status" lists every rule).
 */
public final class StatusCommand {
    static final Duration FULL_BACKUP_AGE = Duration.ofHours(26);
    static final Duration DRILL_AGE = Duration.ofDays(35);
    static final Duration VERIFY_AGE = Duration.ofDays(8);
    static final int BACKLOG_FILES = 16;

    private final String version;
    private final Instant startedAt;
    private final BaseBackups backups;
    private final Repository repository;
    private final WaldenMetrics metrics;
    private final Supplier<Double> readyBacklog;
    private final Scheduler scheduler;
    private final RunRecords runs;
    private final RetentionPolicy policy;
    private final dev.walden.agent.logical.Dumps dumps;
    private final dev.walden.agent.guard.PgWalGuard guard;
    private final Supplier<List<dev.walden.agent.storage.mirror.Mirror.Lag>> lag;
    private final ZoneId zone;
    private final Clock clock;

    public StatusCommand(String version, Instant startedAt, BaseBackups backups, Repository repository, WaldenMetrics metrics,
                         Supplier<Double> readyBacklog, Scheduler scheduler, RunRecords runs, RetentionPolicy policy, ZoneId zone,
                         Clock clock, dev.walden.agent.logical.Dumps dumps, dev.walden.agent.guard.PgWalGuard guard,
                         Supplier<List<dev.walden.agent.storage.mirror.Mirror.Lag>> lag) {
        this.lag = lag;
        this.dumps = dumps;
        this.guard = guard;
        this.version = version;
        this.startedAt = startedAt;
        this.backups = backups;
        this.repository = repository;
        this.metrics = metrics;
        this.readyBacklog = readyBacklog;
        this.scheduler = scheduler;
        this.runs = runs;
        this.policy = policy;
        this.zone = zone;
        this.clock = clock;
    }

    public Result run(List<String> words, CommandOutput output) {
        Arguments arguments;
        try {
            arguments = Arguments.parse(words, Set.of("json"), Set.of());
            if (!arguments.positional().isEmpty()) {
                throw new Arguments.UsageException("status takes no operands");
            }
        } catch (Arguments.UsageException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        }
        Instant now = clock.instant();
        List<String> critical = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        ObjectNode root = ManifestJson.newObject();
        root.put("agent_version", version).put("uptime_seconds", Duration.between(startedAt, now).toSeconds())
                .put("time", time(now, zone));

        // Repository
        boolean reachable;
        String repositoryError = null;
        try {
            repository.probe();
            // A store that answers for its top may still refuse the WAL (an unreadable directory, a narrowed policy):
            // look up the newest archived file too.
            String newest = metrics.archiving().lastArchived();
            java.util.OptionalLong systemIdentifier = newest.isEmpty() ? java.util.OptionalLong.empty() : repository.systemIdentifier();
            if (systemIdentifier.isPresent()) {
                repository.wal(systemIdentifier.getAsLong()).exists(dev.walden.agent.wal.WalFileName.parse(newest));
            }
            reachable = true;
        } catch (dev.walden.agent.repository.RepositoryFormatException | IllegalArgumentException e) {
            reachable = false;
            repositoryError = e.getMessage();
            critical.add("repository " + repository.describe() + " cannot be read: " + repositoryError);
        } catch (java.io.IOException e) {
            reachable = false;
            repositoryError = Replies.describe(e);
            critical.add("repository " + repository.describe() + " is unreachable: " + repositoryError);
        }
        metrics.repositoryUp(reachable);
        ArrayNode repositories = root.putArray("repositories");
        ObjectNode repo = repositories.addObject().put("name", repository.describe()).put("reachable", reachable);
        if (repositoryError != null) {
            repo.put("error", repositoryError);
        }
        storageErrors(repo, now, critical, warnings);
        // Several repositories: how far each one is behind what was written to the others.
        ArrayNode each = null;
        for (dev.walden.agent.storage.mirror.Mirror.Lag behind : lag.get()) {
            each = each == null ? repo.putArray("each") : each;
            ObjectNode one = each.addObject().put("number", behind.number()).put("store", behind.store())
                    .put("behind_objects", behind.objects()).put("behind_seconds", Math.round(behind.seconds(now)));
            behind.since().ifPresentOrElse(t -> one.put("behind_since", time(t, zone)), () -> one.putNull("behind_since"));
            one.put("reachable", behind.unreachable().isEmpty());
            behind.unreachable().ifPresent(problem -> {
                one.put("error", problem);
                warnings.add("repository " + behind.number() + " (" + behind.store() + ") does not answer: " + problem
                        + "; what is written meanwhile is queued for it (archive-ack = first and backups) or waits for it"
                        + " (archive-ack = all)");
            });
            if (behind.objects() > 0) {
                warnings.add("repository " + behind.number() + " (" + behind.store() + ") is behind by " + behind.objects()
                        + " objects since " + behind.since().map(t -> time(t, zone)).orElse("?") + ": it lacks what was written"
                        + " while it failed, and is copied it in order as soon as it answers. HINT: the agent's log names its error");
            }
        }

        // Archiving
        WaldenMetrics.Archiving archiving = metrics.archiving();
        double backlog = readyBacklog.get();
        ObjectNode arch = root.putObject("archiving");
        arch.put("last_archived", archiving.lastArchived().isEmpty() ? null : archiving.lastArchived());
        putTime(arch, "last_success", archiving.lastSuccessMillis());
        if (archiving.lastSuccessMillis() > 0) {
            arch.put("last_success_age_seconds", (now.toEpochMilli() - archiving.lastSuccessMillis()) / 1000);
        }
        putTime(arch, "last_failure", archiving.lastFailureMillis());
        arch.put("failures_since_start", (long) archiving.failures());
        arch.put("last_failure_message", archiving.lastFailure().isEmpty() ? null : archiving.lastFailure());
        if (Double.isNaN(backlog)) {
            arch.putNull("ready_backlog");
        } else {
            arch.put("ready_backlog", (long) backlog);
        }
        if (archiving.failingSinceMillis() > 0) {
            critical.add("archiving is failing since " + time(Instant.ofEpochMilli(archiving.failingSinceMillis()), zone)
                    + ": " + archiving.lastFailure());
        }
        if (metrics.newerMajorMagic() != 0) {
            warnings.add("archiving WAL of a PostgreSQL newer than Walden knows (page magic 0x" + Integer.toHexString(metrics.newerMajorMagic())
                    + "): Walden has not been tested with that version; backups and restores of it are refused. HINT: upgrade Walden");
        }
        if (!Double.isNaN(backlog) && backlog > BACKLOG_FILES) {
            warnings.add((long) backlog + " WAL files wait to be archived (.ready in pg_wal/archive_status)");
        }
        if (guard.enabled()) {
            dev.walden.agent.guard.PgWalGuard.State spilled = guard.state();
            arch.putObject("spilled").put("files", spilled.files()).put("oldest", spilled.oldest().orElse(null))
                    .put("not_forwardable", spilled.conflicts());
            if (spilled.conflicts() > 0) {
                critical.add(spilled.conflicts() + " spilled WAL files cannot be forwarded: the repository holds different files"
                        + " under their names (the agent's log names them). HINT: compare the two copies and remove the wrong one");
            }
            if (spilled.dropsUnrecorded() > 0) {
                critical.add(spilled.dropsUnrecorded() + " WAL files were dropped (pg-wal-guard) and wait in spill-path to be recorded"
                        + " in the repository as a gap: point-in-time recovery cannot pass them. The agent records them and takes a"
                        + " full backup once archiving works again");
            }
            if (spilled.files() > spilled.conflicts()) {
                warnings.add((spilled.files() - spilled.conflicts()) + " WAL files are in spill-path" + spilled.oldest().map(o -> ", from "
                        + o).orElse("") + ", acknowledged while the repository failed and forwarded when it answers; until then"
                        + " the repository lacks them, so a restore elsewhere cannot recover past them");
            }
        }

        // Backups
        ObjectNode backupNode = root.putObject("backups");
        Optional<BackupCatalog> catalog = Optional.empty();
        if (reachable) {
            try {
                catalog = backups.catalog();
                BackupCatalog.Listing listing = catalog.isEmpty() ? new BackupCatalog.Listing(List.of(), List.of()) : catalog.get().list();
                List<BackupSummary> complete = listing.complete();
                backupNode.put("unusable", listing.unusable().size());
                if (catalog.isPresent()) {
                    backups.strayTimeline(catalog.get().systemIdentifier()).ifPresent(t -> warnings.add("the archive holds timeline "
                            + t.stray() + ", which the live primary (timeline " + t.live() + ") never had: another cluster archived"
                            + " it, such as a promoted test restore. Restores and drills follow the primary's timeline. HINT: walden verify"));
                }
                for (BackupCatalog.Unusable unusable : listing.unusable()) {
                    warnings.add("backup " + unusable.id() + " cannot be restored: " + unusable.reason());
                }
                Optional<BackupSummary> full = newest(complete, BackupType.FULL);
                Optional<BackupSummary> incr = newest(complete, BackupType.INCR);
                backupNode.set("last_full", full.map(b -> backupNode(b, now)).orElse(null));
                backupNode.set("last_incr", incr.map(b -> backupNode(b, now)).orElse(null));
                backupNode.put("count", complete.size());
                if (catalog.isPresent()) {
                    droppedWal(catalog.get(), full, arch, critical);
                }
                if (full.isEmpty()) {
                    critical.add("no complete full backup: nothing can be restored. HINT: walden backup");
                } else if (Duration.between(full.get().stopped(), now).compareTo(FULL_BACKUP_AGE) > 0) {
                    warnings.add("the newest full backup is " + age(Duration.between(full.get().stopped(), now)) + " old (more than 26 h)");
                }
                ObjectNode window = backupNode.putObject("recovery_window");
                if (!complete.isEmpty()) {
                    BackupSummary from = RetentionRules.windowAnchor(policy, now, complete).orElseThrow();
                    window.put("from", time(from.stopped(), zone)).put("from_backup", from.id());
                    metrics.recoveryWindowStart(from.stopped());
                    // The window reaches the newest archived WAL: its time, or null when none is known yet.
                    WaldenMetrics.Archiving reached = metrics.archiving();
                    if (reached.lastSuccessMillis() > 0) {
                        window.put("to", time(Instant.ofEpochMilli(reached.lastSuccessMillis()), zone)).put("to_wal", reached.lastArchived());
                    } else {
                        window.putNull("to");
                    }
                } else {
                    window.putNull("from").putNull("to");
                }
            } catch (Exception e) {
                critical.add("the backup catalog cannot be read: " + e.getMessage());
            }
        }

        // Verify and drills
        ObjectNode verifyNode = root.putObject("verify");
        ObjectNode drillNode = root.putObject("drill");
        if (catalog.isPresent()) {
            long system = catalog.get().systemIdentifier();
            try {
                Optional<VerifyReport> last = new VerifyResults(backups.objects(), system).last();
                if (last.isPresent()) {
                    VerifyReport v = last.get();
                    verifyNode.put("last", time(v.finished(), zone)).put("result", v.result()).put("problems", v.problems().size())
                            .put("mode", v.quick() ? "quick" : "full");
                    if (v.exitCode() == 1) {
                        critical.add("the last verify (" + time(v.finished(), zone) + ") found " + v.problems().size()
                                + " problems: " + v.problems().get(0).message());
                    } else if (v.exitCode() == 2) {
                        warnings.add("the last verify could not check: " + v.error().orElse("?"));
                    }
                    if (scheduled(JobKind.VERIFY) && Duration.between(v.finished(), now).compareTo(VERIFY_AGE) > 0) {
                        warnings.add("the last verify is " + age(Duration.between(v.finished(), now)) + " old");
                    }
                } else {
                    verifyNode.putNull("last");
                }
            } catch (Exception e) {
                warnings.add("the last verify result cannot be read: " + e.getMessage());
            }
            try {
                Optional<DrillReport> last = new DrillReports(backups.objects(), system).last();
                if (last.isPresent()) {
                    DrillReport d = last.get();
                    drillNode.put("last", time(d.finished(), zone)).put("result", d.passed() ? "passed" : "failed")
                            .put("backup", d.backup()).put("rto_seconds", d.rtoSeconds());
                    if (!d.passed()) {
                        warnings.add("the last drill (" + time(d.finished(), zone) + ") failed: " + d.error().orElseGet(() ->
                                d.checks().stream().filter(c -> !c.passed()).map(c -> c.name() + ": " + c.detail()).findFirst().orElse("?")));
                    }
                    if (scheduled(JobKind.DRILL) && Duration.between(d.finished(), now).compareTo(DRILL_AGE) > 0) {
                        warnings.add("the last drill is " + age(Duration.between(d.finished(), now)) + " old (more than 35 days)");
                    }
                } else {
                    drillNode.putNull("last");
                    if (scheduled(JobKind.DRILL)) {
                        warnings.add("no restore drill has run yet");
                    }
                }
            } catch (Exception e) {
                warnings.add("the last drill report cannot be read: " + e.getMessage());
            }
        }

        // Logical dumps: the newest per database
        ArrayNode dumpNodes = root.putArray("dumps");
        if (catalog.isPresent()) {
            try {
                var dumpCatalog = dumps.catalog();
                if (dumpCatalog.isPresent()) {
                    Map<String, dev.walden.agent.logical.DumpRecord> newest = new java.util.TreeMap<>();
                    dumpCatalog.get().list().complete().forEach(d -> newest.put(d.subject(), d));
                    newest.values().forEach(d -> dumpNodes.addObject().put("database", d.subject()).put("id", d.id())
                            .put("stopped", time(d.stopped(), zone)).put("age_seconds", Duration.between(d.stopped(), now).toSeconds())
                            .put("bytes", d.bytes()));
                }
            } catch (Exception e) {
                warnings.add("the dump catalog cannot be read: " + e.getMessage());
            }
        }

        // Schedules
        ArrayNode schedules = root.putArray("schedules");
        Map<JobKind, Instant> next = scheduler.nextRuns();
        for (Scheduler.Job job : scheduler.jobs()) {
            ObjectNode s = schedules.addObject().put("job", job.kind().label).put("cron", job.schedule().expression())
                    .put("zone", job.schedule().zone().getId());
            s.put("next", next.containsKey(job.kind()) ? time(next.get(job.kind()), zone) : null);
            try {
                Optional<RunRecord> last = runs.last(job.kind().label);
                if (last.isPresent()) {
                    s.put("last_outcome", last.get().outcome()).put("last_run", time(last.get().finished(), zone));
                    if (last.get().outcome().equals("failed")) {
                        warnings.add("the last scheduled " + job.kind().label + " failed: " + last.get().message());
                    }
                }
            } catch (Exception e) {
                // the run records are a convenience here
            }
        }

        int exit = !critical.isEmpty() ? 2 : !warnings.isEmpty() ? 1 : 0;
        root.put("health", exit == 0 ? "healthy" : exit == 1 ? "warning" : "critical").put("exit_code", exit);
        ArrayNode c = root.putArray("critical");
        critical.forEach(c::add);
        ArrayNode w = root.putArray("warnings");
        warnings.forEach(w::add);
        output.out(arguments.flag("json") ? ManifestJson.pretty(root) : text(root));
        return new Result(exit, "");
    }

    private boolean scheduled(JobKind kind) {
        return scheduler.jobs().stream().anyMatch(j -> j.kind() == kind);
    }

    private static Optional<BackupSummary> newest(List<BackupSummary> complete, BackupType type) {
        for (int i = complete.size() - 1; i >= 0; i--) {
            if (complete.get(i).type() == type) {
                return Optional.of(complete.get(i));
            }
        }
        return Optional.empty();
    }

    private ObjectNode backupNode(BackupSummary b, Instant now) {
        return ManifestJson.newObject().put("id", b.id()).put("stopped", time(b.stopped(), zone))
                .put("age_seconds", Duration.between(b.stopped(), now).toSeconds()).put("bytes", b.bytes()).put("stored_bytes", b.storedBytes());
    }

    /** How long a storage failure keeps status from calling the repository healthy. */
    static final Duration RECENT_STORAGE_ERROR = Duration.ofMinutes(10);

    /**
     * The storage failures since start, by kind. A recent one is critical when only a person can fix it (permission,
     * space, read-only, corrupt) and a warning when it is an outage the agent retries.
     */
    private void storageErrors(ObjectNode repo, Instant now, List<String> critical, List<String> warnings) {
        StorageErrors errors = metrics.storageErrors();
        ObjectNode counts = repo.putObject("errors_since_start");
        for (StorageFailureException.Kind kind : StorageFailureException.Kind.values()) {
            counts.put(kind.label(), errors.count(kind));
        }
        errors.last().ifPresent(last -> {
            repo.put("last_error", last.message()).put("last_error_kind", last.kind().label()).put("last_error_at", time(last.at(), zone));
            if (Duration.between(last.at(), now).compareTo(RECENT_STORAGE_ERROR) <= 0) {
                String line = "the repository failed " + age(Duration.between(last.at(), now)) + " ago (" + last.kind().label().replace('_', ' ')
                        + "): " + last.message();
                (last.kind() == StorageFailureException.Kind.UNAVAILABLE ? warnings : critical).add(line);
            }
        });
    }

    private void putTime(ObjectNode node, String field, long millis) {
        if (millis > 0) {
            node.put(field, time(Instant.ofEpochMilli(millis), zone));
        } else {
            node.putNull(field);
        }
    }

    /** Times to the second: a status screen has no use for nanoseconds. */
    private String time(Instant instant, ZoneId zone) {
        return ManifestJson.time(instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), zone);
    }

    static String age(Duration d) {
        long hours = d.toHours();
        return hours >= 48 ? hours / 24 + " days" : hours >= 1 ? hours + " h" : Math.max(0, d.toMinutes()) + " min";
    }

    private static String text(ObjectNode s) {
        StringBuilder t = new StringBuilder();
        t.append("walden-agent ").append(s.path("agent_version").asText()).append(", up ")
                .append(age(Duration.ofSeconds(s.path("uptime_seconds").asLong()))).append(" — ").append(s.path("health").asText().toUpperCase())
                .append('\n');
        for (var r : s.path("repositories")) {
            t.append(String.format("%-16s%s: %s%n", "repository", r.path("name").asText(), r.path("reachable").asBoolean() ? "reachable"
                    : "UNREACHABLE (" + r.path("error").asText() + ")"));
            for (var one : r.path("each")) {
                t.append(String.format("%-16s%s: %s%s%n", "  repo" + one.path("number").asText(), one.path("store").asText(),
                        one.path("reachable").asBoolean(true) ? "reachable, " : "UNREACHABLE, ",
                        one.path("behind_objects").asLong() == 0 ? "in step"
                                : "behind by " + one.path("behind_objects").asLong() + " objects since " + one.path("behind_since").asText()));
            }
        }
        for (var r : s.path("repositories")) {
            var counts = r.path("errors_since_start");
            List<String> kinds = new ArrayList<>();
            long total = 0;
            for (var field : counts.properties()) {
                if (field.getValue().asLong() > 0) {
                    kinds.add(field.getValue().asLong() + " " + field.getKey().replace('_', ' '));
                    total += field.getValue().asLong();
                }
            }
            t.append(String.format("%-16s%s%n", "storage errors", total == 0 ? "none since start"
                    : total + " since start (" + String.join(", ", kinds) + "); last at " + r.path("last_error_at").asText()));
        }
        var a = s.path("archiving");
        t.append(String.format("%-16s%s%s; backlog %s; %d failures since start%n", "archiving",
                a.path("last_archived").isNull() ? "nothing archived yet" : "last " + a.path("last_archived").asText(),
                a.has("last_success_age_seconds") ? " (" + age(Duration.ofSeconds(a.path("last_success_age_seconds").asLong())) + " ago)" : "",
                a.path("ready_backlog").isNull() ? "unknown (pg-data unset)" : a.path("ready_backlog").asText() + " .ready",
                a.path("failures_since_start").asLong()));
        var b = s.path("backups");
        for (String kind : List.of("last_full", "last_incr")) {
            var n = b.path(kind);
            t.append(String.format("%-16s%s%n", kind.equals("last_full") ? "last full" : "last incr", n.isMissingNode() || n.isNull() ? "none"
                    : n.path("id").asText() + ", " + age(Duration.ofSeconds(n.path("age_seconds").asLong())) + " ago, "
                    + TransferProgress.size(n.path("bytes").asLong()) + " (" + TransferProgress.size(n.path("stored_bytes").asLong()) + " stored)"));
        }
        var window = b.path("recovery_window");
        if (window.has("from") && !window.path("from").isNull()) {
            t.append(String.format("%-16sfrom %s (backup %s) to %s%n", "recovery window", window.path("from").asText(),
                    window.path("from_backup").asText(), window.path("to").isNull() ? "the end of the archive"
                            : window.path("to").asText() + " (" + window.path("to_wal").asText() + ")"));
        }
        for (var dump : s.path("dumps")) {
            t.append(String.format("%-16s%s: %s, %s ago, %s%n", "last dump", dump.path("database").asText(), dump.path("id").asText(),
                    age(Duration.ofSeconds(dump.path("age_seconds").asLong())), TransferProgress.size(dump.path("bytes").asLong())));
        }
        var v = s.path("verify");
        t.append(String.format("%-16s%s%n", "last verify", v.path("last").isMissingNode() || v.path("last").isNull() ? "never"
                : v.path("last").asText() + ": " + v.path("result").asText() + " (" + v.path("mode").asText() + ")"));
        var d = s.path("drill");
        t.append(String.format("%-16s%s%n", "last drill", d.path("last").isMissingNode() || d.path("last").isNull() ? "never"
                : d.path("last").asText() + ": " + d.path("result").asText() + ", backup " + d.path("backup").asText()
                + String.format(", RTO %.0f s", d.path("rto_seconds").asDouble())));
        for (var job : s.path("schedules")) {
            t.append(String.format("%-16s%s next %s (%s)%s%n", "schedule", job.path("job").asText(),
                    job.path("next").isNull() ? "never" : job.path("next").asText(), job.path("cron").asText(),
                    job.has("last_outcome") ? ", last " + job.path("last_outcome").asText() : ""));
        }
        for (var c : s.path("critical")) {
            t.append("CRITICAL: ").append(c.asText()).append('\n');
        }
        for (var w : s.path("warnings")) {
            t.append("warning: ").append(w.asText()).append('\n');
        }
        return t.toString();
    }

    /**
     * WAL the pg_wal guard dropped, as recorded in the repository: critical while no full backup started after the
     * newest gap, since point-in-time recovery cannot reach past it until one did.
     */
    private void droppedWal(BackupCatalog catalog, Optional<BackupSummary> newestFull, ObjectNode archiving, List<String> critical) {
        List<dev.walden.agent.guard.WalGap> gaps;
        try {
            gaps = dev.walden.agent.guard.WalGap.recorded(catalog.objects(), catalog.systemIdentifier());
        } catch (java.io.IOException e) {
            return;  // the repository's own checks above report it
        }
        var dropped = archiving.putArray("dropped");
        for (dev.walden.agent.guard.WalGap gap : gaps) {
            boolean healed = newestFull.isPresent() && newestFull.get().started().isAfter(gap.droppedTo());
            dropped.addObject().put("timeline", gap.timeline()).put("first", gap.first()).put("last", gap.last())
                    .put("files", gap.files()).put("dropped_at", time(gap.droppedTo(), zone)).put("full_backup_since", healed);
            if (!healed) {
                critical.add(gap.describe() + ": point-in-time recovery cannot pass it, and no full backup has been taken since."
                        + " HINT: the agent starts one once archiving works again; or walden backup --type full");
            }
        }
    }
}
