package dev.walden.agent.command;

import dev.walden.agent.backup.BaseBackups;
import dev.walden.agent.backup.TransferProgress;
import dev.walden.agent.verify.Verifier;
import dev.walden.agent.verify.VerifyJson;
import dev.walden.agent.verify.VerifyReport;
import dev.walden.agent.verify.VerifyResults;
import dev.walden.protocol.Result;
import java.io.IOException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/** {@code walden verify [--quick] [--json]}: exit 0 when everything holds, 1 when problems were found, 2 when it could not check. */
public final class VerifyCommand {
    private static final Logger LOG = Logger.getLogger(VerifyCommand.class.getName());
    private final List<RepositoryServices> repositories;
    private final ZoneId zone;

    private final java.util.function.Consumer<VerifyReport> listener;

    /**
     * @param repositories each verified on its own, one after the other
     * @param listener     told of every report (metrics, notifications)
     */
    public VerifyCommand(List<RepositoryServices> repositories, ZoneId zone, java.util.function.Consumer<VerifyReport> listener) {
        this.listener = listener;
        this.repositories = List.copyOf(repositories);
        this.zone = zone;
    }

    public Result run(List<String> words, CommandOutput output) {
        Arguments arguments;
        try {
            arguments = Arguments.parse(words, Set.of("quick", "all", "json"), Set.of());
            if (!arguments.positional().isEmpty()) {
                throw new Arguments.UsageException("verify takes no operands");
            }
        } catch (Arguments.UsageException e) {
            return new Result(CommandExit.USAGE, e.getMessage() + " (walden --help shows usage)");
        }
        if (arguments.flag("quick") && arguments.flag("all")) {
            return new Result(CommandExit.USAGE, "verify takes --quick or --all, not both (walden --help shows usage)");
        }
        if (repositories.size() == 1) {
            return verify(repositories.get(0), arguments, output);
        }
        // Several repositories: each is checked where it is, and the worst result is the command's.
        int exit = 0;
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ArrayNode all = mapper.createArrayNode();
        for (RepositoryServices repository : repositories) {
            if (output.cancelled()) {
                break;
            }
            if (!arguments.flag("json")) {
                output.out(repository.heading() + ":\n");
            }
            CapturedOutput part = new CapturedOutput(output);
            Result result = verify(repository, arguments, arguments.flag("json") ? part : output);
            exit = Math.max(exit, result.exitCode());
            if (!arguments.flag("json")) {
                output.out("  " + result.message() + "\n\n");
            } else if (!part.text().isBlank()) {
                try {
                    all.add(((com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(part.text()))
                            .put("repository", repository.number()).put("store", repository.store()));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        if (arguments.flag("json")) {
            com.fasterxml.jackson.databind.node.ObjectNode root = mapper.createObjectNode();
            root.set("repositories", all);
            output.out(dev.walden.agent.backup.ManifestJson.pretty(root));
        }
        return new Result(exit, arguments.flag("json") ? "" : "verify of " + repositories.size() + " repositories: "
                + (exit == 0 ? "everything holds in each" : exit == 1 ? "problems found (see each repository above)"
                : "some could not be checked (see each repository above)"));
    }

    private Result verify(RepositoryServices repository, Arguments arguments, CommandOutput output) {
        VerifyReport report = repository.verifier().run(arguments.flag("quick"), arguments.flag("all"), output::progress, output::cancelled);
        LOG.info("verify (" + (report.quick() ? "quick" : "full") + "): " + report.result() + ", " + report.problems().size()
                + " problems" + report.error().map(e -> ", " + e).orElse(""));
        String storeWarning = store(repository.backups(), report);
        listener.accept(report);
        if (arguments.flag("json")) {
            output.out(dev.walden.agent.backup.ManifestJson.pretty(VerifyJson.node(report, zone)));
            if (!storeWarning.isEmpty()) {
                output.err("walden: warning: " + storeWarning + "\n");
            }
            return new Result(report.exitCode(), "");
        }
        StringBuilder text = new StringBuilder();
        for (VerifyReport.Problem p : report.problems()) {
            text.append("problem: ").append(p.kind()).append(": ").append(p.message()).append('\n');
        }
        if (!storeWarning.isEmpty()) {
            text.append("warning: ").append(storeWarning).append('\n');
        }
        output.out(text.toString());
        VerifyReport.Counts c = report.checked();
        String checked = c.backups() + " backups, " + c.walFiles() + " WAL files, " + c.objects() + " objects"
                + (report.quick() ? " (presence and sizes only)" : ", " + TransferProgress.size(c.bytesRead()) + " read")
                + (c.unchanged() > 0 ? "; " + c.unchanged() + " objects stored before " + report.readSince().map(t -> dev.walden.agent.backup
                        .ManifestJson.time(t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), zone)).orElse("?")
                        + " were not read again (an earlier verify read them whole; walden verify --all reads everything)" : "")
                + " in " + TransferProgress.duration(Duration.between(report.started(), report.finished()).toMillis() / 1000.0);
        String message = switch (report.exitCode()) {
            case 0 -> "verify: everything holds: " + checked;
            case 1 -> "verify: " + report.problems().size() + " problem" + (report.problems().size() == 1 ? "" : "s") + " found, "
                    + checked;
            default -> "verify: " + report.error().orElse("could not check") + (report.problems().isEmpty() ? ""
                    : " (" + report.problems().size() + " problems found before that)");
        };
        return new Result(report.exitCode(), message);
    }

    /** Keeps the result for walden status and the metrics; a repository that cannot be written is only a warning. */
    private static String store(BaseBackups backups, VerifyReport report) {
        try {
            var catalog = backups.catalog();
            if (catalog.isEmpty()) {
                return "";
            }
            new VerifyResults(backups.objects(), catalog.get().systemIdentifier()).store(report);
            return "";
        } catch (IOException | dev.walden.agent.repository.RepositoryFormatException e) {
            return "the result could not be stored in the repository: " + Replies.describe(e);
        }
    }
}
