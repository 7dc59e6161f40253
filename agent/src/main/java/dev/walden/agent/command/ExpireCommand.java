package dev.walden.agent.command;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.backup.BackupCatalog;
import dev.walden.agent.backup.BackupException;
import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.retention.Expiry;
import dev.walden.agent.retention.ExpiryPlan;
import dev.walden.agent.retention.RetentionPolicy;
import dev.walden.protocol.Result;
import java.io.IOException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@code walden expire [--dry-run] [--json]}: what retention keeps, by which rule, and what it deletes. */
public final class ExpireCommand {
    private static final Logger LOG = Logger.getLogger(ExpireCommand.class.getName());
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final List<RepositoryServices> repositories;
    private final dev.walden.agent.logical.Dumps dumps;
    private final ZoneId zone;

    /** @param repositories each repository with its own retention; expired one after the other */
    public ExpireCommand(List<RepositoryServices> repositories, dev.walden.agent.logical.Dumps dumps, ZoneId zone) {
        this.repositories = List.copyOf(repositories);
        this.dumps = dumps;
        this.zone = zone;
    }

    public Result run(List<String> words, CommandOutput output) {
        Arguments arguments;
        try {
            arguments = Arguments.parse(words, Set.of("dry-run", "json"), Set.of());
            if (!arguments.positional().isEmpty()) {
                throw new Arguments.UsageException("expire takes no operands");
            }
        } catch (Arguments.UsageException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        }
        boolean dryRun = arguments.flag("dry-run");
        if (repositories.size() == 1) {
            return expire(repositories.get(0).expiry(), dryRun, arguments.flag("json"), output);
        }
        // Several repositories: each keeps its own policy, and says so under its own heading. Dumps are kept alike
        // everywhere, so they are expired once, through all of them, with repository 1's outcome.
        int exit = CommandExit.OK;
        List<String> summaries = new ArrayList<>();
        ArrayNode all = JSON.createArrayNode();
        for (RepositoryServices repository : repositories) {
            if (!arguments.flag("json")) {
                output.out(repository.heading() + ":\n");
            }
            CommandOutput part = arguments.flag("json") ? new CapturedOutput(output) : output;
            Result result = repository.number() == 1 ? expire(repository.expiry(), dryRun, arguments.flag("json"), part)
                    : expireBackups(repository.expiry(), dryRun, arguments.flag("json"), part);
            if (part instanceof CapturedOutput captured && !captured.text().isBlank()) {
                try {
                    all.add(((ObjectNode) JSON.readTree(captured.text())).put("repository", repository.number())
                            .put("store", repository.store()));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            } else if (!arguments.flag("json")) {
                output.out("\n");
            }
            exit = Math.max(exit, result.exitCode());
            summaries.add("repository " + repository.number() + ": " + result.message());
        }
        if (arguments.flag("json")) {
            ObjectNode root = JSON.createObjectNode();
            root.set("repositories", all);
            output.out(ManifestJson.pretty(root));
            return new Result(exit, "");
        }
        return new Result(exit, String.join("; ", summaries));
    }

    /** A repository's backups and WAL by its own policy; its dumps go with repository 1's. */
    private Result expireBackups(Expiry expiry, boolean dryRun, boolean json, CommandOutput output) {
        try {
            Expiry.Outcome outcome = expiry.run(dryRun, output::progress);
            output.out(json ? ManifestJson.pretty(json(outcome, zone)) : text(outcome, zone));
            return new Result(CommandExit.OK, summary(outcome));
        } catch (BackupException e) {
            return new Result(CommandExit.FAILED, "expire failed: " + e.getMessage());
        } catch (IOException | RepositoryFormatException | BackupCatalog.CatalogException e) {
            return new Result(CommandExit.FAILED, "expire failed: " + Replies.describe(e) + "; what was deleted before the error"
                    + " is gone and everything else is intact. HINT: fix the repository access and run walden expire again");
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "walden expire failed unexpectedly", e);
            return new Result(CommandExit.INTERNAL, Replies.internalError("walden expire", e));
        }
    }

    private Result expire(Expiry expiry, boolean dryRun, boolean json, CommandOutput output) {
        try {
            Expiry.Outcome outcome = expiry.run(dryRun, output::progress);
            java.util.Map<dev.walden.agent.logical.DumpRecord, List<String>> dumpPlan = java.util.Map.of();
            var dumpCatalog = dumps.catalog();
            if (dumpCatalog.isPresent()) {
                dumpPlan = dumps.plan(dumpCatalog.get().list().complete(), outcome.plan().now());
            }
            int expiredDumps = dumps.expire(dryRun, dumpPlan).size();
            if (json) {
                ObjectNode root = json(outcome, zone);
                ArrayNode dumpNodes = root.putArray("dumps");
                dumpPlan.forEach((d, why) -> {
                    ObjectNode n = dumpNodes.addObject().put("id", d.id()).put("database", d.subject())
                            .put("verdict", why.isEmpty() ? "expire" : "keep").put("stored_bytes", d.storedBytes());
                    ArrayNode reasons = n.putArray("reasons");
                    (why.isEmpty() ? List.of("no rule keeps it") : why).forEach(reasons::add);
                });
                ((ObjectNode) root.get("expired")).put("dumps", outcome.plan().policy().enabled() ? expiredDumps : 0);
                output.out(ManifestJson.pretty(root));
                return new Result(CommandExit.OK, "");
            }
            StringBuilder text = new StringBuilder(text(outcome, zone));
            if (!dumpPlan.isEmpty()) {
                text.append(String.format("%n%-40s %-20s %-7s %10s  %s%n", "DUMP", "DATABASE", "", "STORED", "WHY"));
                dumpPlan.forEach((d, why) -> text.append(String.format("%-40s %-20s %-7s %10s  %s%n", d.id(), d.subject(),
                        why.isEmpty() ? "expire" : "keep", TransferProgress.size(d.storedBytes()),
                        why.isEmpty() ? "no rule keeps it" : String.join(", ", why))));
            }
            output.out(text.toString());
            return new Result(CommandExit.OK, summary(outcome) + (outcome.plan().policy().enabled() && expiredDumps > 0
                    ? "; " + (dryRun ? "would expire " : "expired ") + expiredDumps + " dumps" : ""));
        } catch (BackupException e) {
            return new Result(CommandExit.FAILED, "expire failed: " + e.getMessage());
        } catch (IOException | RepositoryFormatException | BackupCatalog.CatalogException
                 | dev.walden.agent.pipeline.CorruptObjectException e) {
            return new Result(CommandExit.FAILED, "expire failed: " + Replies.describe(e) + "; what was deleted before the error"
                    + " is gone and everything else is intact. HINT: fix the repository access and run walden expire again");
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "walden expire failed unexpectedly", e);
            return new Result(CommandExit.INTERNAL, Replies.internalError("walden expire", e));
        }
    }

    /** The one line that ends an expiry, also printed after each backup. */
    public static String summary(Expiry.Outcome outcome) {
        ExpiryPlan plan = outcome.plan();
        if (!plan.policy().enabled()) {
            return "no retention policy set (retain-* options): nothing expired";
        }
        int backups = plan.expiredBackups().size() + plan.leftovers().size();
        long wal = plan.expiredWalFiles();
        String what = backups + " backup" + (backups == 1 ? "" : "s") + " and " + wal + " WAL file" + (wal == 1 ? "" : "s");
        return (outcome.dryRun() ? "dry run: would expire " + what + ", freeing " : "expired " + what + ", freed ")
                + TransferProgress.size(outcome.freedBytes());
    }

    static String text(Expiry.Outcome outcome, ZoneId zone) {
        ExpiryPlan plan = outcome.plan();
        StringBuilder text = new StringBuilder("retention: ").append(plan.policy().describe()).append('\n');
        if (plan.backups().isEmpty() && plan.leftovers().isEmpty()) {
            text.append("no backups yet\n");
        } else {
            text.append(String.format("%n%-17s %-4s %-7s %10s  %s%n", "BACKUP", "TYPE", outcome.dryRun() ? "WOULD" : "", "STORED", "WHY"));
            for (ExpiryPlan.BackupVerdict v : plan.backups()) {
                text.append(String.format("%-17s %-4s %-7s %10s  %s%n", v.backup().id(), v.backup().type().label,
                        v.kept() ? "keep" : "expire", TransferProgress.size(outcome.backupBytes().getOrDefault(v.backup().id(), 0L)),
                        String.join(", ", v.reasons())));
            }
            for (String leftover : plan.leftovers()) {
                text.append(String.format("%-17s %-4s %-7s %10s  %s%n", leftover, leftover.endsWith("I") ? "incr" : "full", "remove",
                        TransferProgress.size(outcome.backupBytes().getOrDefault(leftover, 0L)), "interrupted, never complete"));
            }
        }
        if (!plan.walRanges().isEmpty()) {
            text.append(String.format("%n%-51s %7s %10s  %-7s %s%n", "WAL", "FILES", "STORED", "", "WHY"));
            for (ExpiryPlan.WalRange r : plan.walRanges()) {
                text.append(String.format("%-51s %7d %10s  %-7s %s%n", r.first().equals(r.last()) ? r.first() : r.first() + " .. " + r.last(),
                        r.files(), TransferProgress.size(r.storedBytes()), r.kept() ? "keep" : "expire", r.reason()));
            }
        }
        plan.windowFrom().ifPresent(from -> text.append("\npoint-in-time recovery ").append(outcome.dryRun() ? "would stay" : "stays")
                .append(" possible from ").append(ManifestJson.time(from.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), zone)).append(" (end of backup ")
                .append(plan.windowAnchor().orElse("?")).append(") to the end of the archive\n"));
        for (Expiry.Move move : outcome.moves()) {
            text.append(String.format("%s backup %s to storage class %s (kept by the %s rule only)%s%n", outcome.dryRun() ? "would move" : "moved",
                    move.backup(), move.to(), move.rule(), outcome.dryRun() ? "" : ": " + move.objects() + " data objects, copied inside S3"));
        }
        return text.toString();
    }

    /** The {@code --json} report; its schema is in docs/runbook.md ("walden expire --json"). */
    static ObjectNode json(Expiry.Outcome outcome, ZoneId zone) {
        ExpiryPlan plan = outcome.plan();
        RetentionPolicy policy = plan.policy();
        ObjectNode root = ManifestJson.newObject();
        root.put("dry_run", outcome.dryRun()).put("time", ManifestJson.time(plan.now(), zone));
        ObjectNode p = root.putObject("policy").put("enabled", policy.enabled());
        policy.daily().ifPresentOrElse(n -> p.put("retain_daily", n), () -> p.putNull("retain_daily"));
        policy.weekly().ifPresentOrElse(n -> p.put("retain_weekly", n), () -> p.putNull("retain_weekly"));
        policy.monthly().ifPresentOrElse(n -> p.put("retain_monthly", n), () -> p.putNull("retain_monthly"));
        policy.yearly().ifPresentOrElse(n -> p.put("retain_yearly", n), () -> p.putNull("retain_yearly"));
        policy.incrHours().ifPresentOrElse(n -> p.put("retain_incr_hours", n), () -> p.putNull("retain_incr_hours"));
        p.put("retain_pitr_days", policy.pitrDays()).put("retain_timezone", policy.zone().getId());
        ArrayNode backups = root.putArray("backups");
        for (ExpiryPlan.BackupVerdict v : plan.backups()) {
            ObjectNode b = backups.addObject().put("id", v.backup().id()).put("type", v.backup().type().label)
                    .put("verdict", v.kept() ? "keep" : "expire")
                    .put("stored_bytes", outcome.backupBytes().getOrDefault(v.backup().id(), 0L));
            ArrayNode reasons = b.putArray("reasons");
            v.reasons().forEach(reasons::add);
        }
        for (String leftover : plan.leftovers()) {
            backups.addObject().put("id", leftover).put("type", leftover.endsWith("I") ? "incr" : "full").put("verdict", "remove")
                    .put("stored_bytes", outcome.backupBytes().getOrDefault(leftover, 0L)).putArray("reasons")
                    .add("interrupted, never complete");
        }
        ArrayNode wal = root.putArray("wal");
        for (ExpiryPlan.WalRange r : plan.walRanges()) {
            wal.addObject().put("timeline", r.timeline()).put("first", r.first()).put("last", r.last()).put("files", r.files())
                    .put("stored_bytes", r.storedBytes()).put("verdict", r.kept() ? "keep" : "expire").put("reason", r.reason());
        }
        ObjectNode window = root.putObject("recovery_window");
        if (plan.windowFrom().isPresent()) {
            window.put("from", ManifestJson.time(plan.windowFrom().get(), zone)).put("anchor", plan.windowAnchor().orElseThrow());
        } else {
            window.putNull("from").putNull("anchor");
        }
        root.putObject("expired").put("backups", plan.expiredBackups().size() + plan.leftovers().size())
                .put("wal_files", plan.expiredWalFiles()).put("freed_bytes", outcome.freedBytes());
        ArrayNode moves = root.putArray("moved");
        for (Expiry.Move move : outcome.moves()) {
            ObjectNode m = moves.addObject().put("backup", move.backup()).put("to", move.to()).put("rule", move.rule())
                    .put("objects", move.objects());
            move.from().ifPresentOrElse(f -> m.put("from", f), () -> m.putNull("from"));
        }
        return root;
    }
}
