package dev.walden.agent.command;

import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.drill.Drill;
import dev.walden.agent.drill.DrillException;
import dev.walden.agent.drill.DrillJson;
import dev.walden.agent.drill.DrillReport;
import dev.walden.protocol.Request;
import dev.walden.protocol.Result;
import java.io.IOException;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;

/** {@code walden drill [--backup ID | --target-time T] [--dump ID] [--keep] [--json]}: exit 0 only when every check passed. */
public final class DrillCommand {
    private final Drill drill;
    private final ZoneId zone;

    public DrillCommand(Drill drill, ZoneId zone) {
        this.drill = drill;
        this.zone = zone;
    }

    public Result run(Request.Command command, List<String> words, CommandOutput output) {
        Arguments arguments;
        try {
            arguments = Arguments.parse(words, Set.of("keep", "json"), Set.of("backup", "target-time", "dump"));
            if (!arguments.positional().isEmpty()) {
                throw new Arguments.UsageException("drill takes no operands");
            }
            if (arguments.value("backup").isPresent() && arguments.value("target-time").isPresent()) {
                throw new Arguments.UsageException("give --backup ID or --target-time T, not both (a target time picks its own backup)");
            }
        } catch (Arguments.UsageException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        }
        DrillReport report;
        try {
            report = drill.run(new Drill.Request(arguments.value("backup"), arguments.value("target-time"), arguments.flag("keep"),
                    command.clientPath().isEmpty() ? "walden" : command.clientPath(), arguments.value("dump"), ClientZone.of(command)), output);
        } catch (Arguments.UsageException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        } catch (DrillException e) {
            return new Result(CommandExit.FAILED, "drill refused: " + e.getMessage());
        } catch (IOException e) {
            return new Result(CommandExit.FAILED, "drill failed: " + Replies.describe(e) + ". HINT: check drill-path's space and permissions");
        }
        if (arguments.flag("json")) {
            output.out(ManifestJson.pretty(DrillJson.node(report, zone)));
            return new Result(report.exitCode(), "");
        }
        output.out(summary(report, zone));
        return new Result(report.exitCode(), report.passed()
                ? String.format("drill passed: backup %s restored and recovered in %s (RTO), every check passed", report.backup(),
                        TransferProgress.duration(report.rtoSeconds()))
                : "drill FAILED: " + report.error().orElseGet(() -> report.checks().stream().filter(c -> !c.passed())
                        .map(c -> c.name() + ": " + c.detail()).findFirst().orElse("no check ran")));
    }

    static String summary(DrillReport r, ZoneId zone) {
        StringBuilder text = new StringBuilder();
        text.append("drill ").append(r.id()).append(": backup ").append(r.backup()).append(", target ").append(r.target()).append('\n');
        text.append(String.format("  restore        %s, %s (%s/s)%n", TransferProgress.duration(r.phases().restoreSeconds()),
                TransferProgress.size(r.bytesRestored()), TransferProgress.size((long) r.restoreBytesPerSecond())));
        text.append(String.format("  recovery       %s, %s of WAL replayed, ended at %s%n", TransferProgress.duration(r.phases().recoverySeconds()),
                TransferProgress.size(r.walReplayedBytes()), r.recoveryEnd().orElse("?")));
        text.append(String.format("  checks         %s%n", TransferProgress.duration(r.phases().checkSeconds())));
        text.append(String.format("  RTO            %s (for 100 GB: about %s)%n", TransferProgress.duration(r.rtoSeconds()),
                Double.isNaN(r.rtoFor100GbSeconds()) ? "?" : TransferProgress.duration(r.rtoFor100GbSeconds())));
        text.append("  recovery point ").append(r.lastTransaction().map(t -> "last transaction " + ManifestJson.time(t, zone)).orElse("no transaction replayed"))
                .append(r.rpoSeconds().map(s -> String.format(" (RPO %.0f s before the drill)", s)).orElse(""))
                .append(r.archiveEnd().map(e -> "; archive ends at " + e).orElse("")).append('\n');
        for (DrillReport.Check c : r.checks()) {
            text.append("  ").append(c.passed() ? "ok    " : "FAILED").append(' ').append(c.name()).append(": ").append(c.detail()).append('\n');
        }
        r.error().ifPresent(e -> text.append("  error          ").append(e).append('\n'));
        return text.toString();
    }
}
