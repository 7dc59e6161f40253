package dev.walden.agent.command;

import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.Result;
import java.util.List;

/** Sends each request to the command that handles its type. Runs on worker threads, never on the event loop. */
public final class RequestRouter {
    private final PushCommand push;
    private final FetchCommand fetch;
    private final BackupCommand backup;
    private final RestoreCommand restore;
    private final ExpireCommand expire;
    private final VerifyCommand verify;
    private final DrillCommand drill;
    private final StatusCommand status;
    private final DumpCommand dump;
    private final String version;

    public RequestRouter(PushCommand push, FetchCommand fetch, BackupCommand backup, RestoreCommand restore, ExpireCommand expire,
                         VerifyCommand verify, DrillCommand drill, StatusCommand status, DumpCommand dump, String version) {
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

    /** Runs a DBA's command to its end; what it prints goes to {@code output}, its exit code comes back. */
    public Result run(Request.Command command, CommandOutput output) {
        List<String> words = command.arguments();
        if (words.isEmpty()) {
            return new Result(CommandExit.USAGE, "no command given (walden --help shows usage)");
        }
        List<String> rest = words.subList(1, words.size());
        return switch (words.get(0)) {
            case "backup" -> backup.run(rest, output);
            case "restore" -> restore.run(command, rest, output);
            case "expire" -> expire.run(rest, output);
            case "verify" -> verify.run(rest, output);
            case "drill" -> drill.run(command, rest, output);
            case "status" -> status.run(rest, output);
            case "dump" -> dump.run(command, rest, output);
            default -> new Result(CommandExit.USAGE, "unknown command '" + words.get(0) + "' (walden --help shows usage)");
        };
    }
}
