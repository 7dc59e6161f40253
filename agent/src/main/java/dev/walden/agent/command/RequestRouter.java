package dev.walden.agent.command;

import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.Result;
import java.util.List;

/** Sends each request to the command that handles its type. Runs on worker threads, never on the event loop. */
public final class RequestRouter {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(RequestRouter.class.getName());
    private final PushCommand push;
    private final FetchCommand fetch;
    private final BackupCommand backup;
    private final RestoreCommand restore;
    private final ExpireCommand expire;
    private final VerifyCommand verify;
    private final DrillCommand drill;
    private final StatusCommand status;
    private final DumpCommand dump;
    private final RestoreTableCommand restoreTable;
    private final String version;

    public RequestRouter(PushCommand push, FetchCommand fetch, BackupCommand backup, RestoreCommand restore, ExpireCommand expire,
                         VerifyCommand verify, DrillCommand drill, StatusCommand status, DumpCommand dump, RestoreTableCommand restoreTable,
                         String version) {
        this.restoreTable = restoreTable;
        this.dump = dump;
        this.drill = drill;
        this.status = status;
        this.push = push;
        this.fetch = fetch;
        this.backup = backup;
        this.restore = restore;
        this.expire = expire;
        this.verify = verify;
        this.version = version;
    }

    public Reply handle(Request request) {
        return switch (request) {
            case Request.Push p -> push.execute(p);
            case Request.Fetch f -> fetch.execute(f);
            case Request.Ping ignored -> Reply.ok("walden-agent " + version + " is running");
            case Request.Command c -> new Reply(dev.walden.protocol.Status.INVALID_REQUEST, "commands are streamed, not answered with one reply");
        };
    }

    /** Runs a scheduled job, as the agent itself. */
    public Result run(Request.Command command, CommandOutput output) {
        return run(command, Caller.agent(), output);
    }

    /**
     * Runs a DBA's command to its end; what it prints goes to {@code output}, its exit code comes back. A command that
     * writes or deletes runs only for an operator, and is logged with who asked.
     */
    public Result run(Request.Command command, Caller caller, CommandOutput output) {
        List<String> words = command.arguments();
        if (words.isEmpty()) {
            return new Result(CommandExit.USAGE, "no command given (walden --help shows usage)");
        }
        if (writes(words)) {
            if (!caller.operator()) {
                LOG.warning("refused walden " + words.get(0) + " for " + caller.describe() + ": not an operator");
                return new Result(CommandExit.FAILED, "walden " + String.join(" ", words.subList(0, Math.min(2, words.size())))
                        + " writes or deletes, and " + caller.name() + " is not in operator-users. HINT: run it as the agent's user"
                        + " (e.g. sudo -u postgres walden ...), or add " + caller.name() + " to operator-users in walden-agent.conf");
            }
            LOG.info("walden " + String.join(" ", words) + " asked by " + caller.describe());
        }
        List<String> rest = words.subList(1, words.size());
        return switch (words.get(0)) {
            case "backup" -> backup.run(rest, output);
            case "restore" -> restore.run(command, caller, rest, output);
            case "restore-table" -> restoreTable.run(command, rest, output);
            case "expire" -> expire.run(rest, output);
            case "verify" -> verify.run(rest, output);
            case "drill" -> drill.run(command, rest, output);
            case "status" -> status.run(rest, output);
            case "dump" -> dump.run(command, caller, rest, output);
            default -> new Result(CommandExit.USAGE, "unknown command '" + words.get(0) + "' (walden --help shows usage)");
        };
    }

    /** Whether a command writes or deletes (files, backups, holds, databases) rather than only reading. */
    static boolean writes(List<String> words) {
        List<String> operands = words.subList(1, words.size()).stream().filter(w -> !w.startsWith("--")).toList();
        String sub = operands.isEmpty() ? "" : operands.get(0);
        return switch (words.get(0)) {
            case "restore", "restore-table", "drill" -> true;
            case "expire" -> !words.contains("--dry-run");
            case "backup" -> !sub.equals("list") && !sub.equals("show");
            case "dump" -> !sub.equals("list");
            default -> false;
        };
    }
}
