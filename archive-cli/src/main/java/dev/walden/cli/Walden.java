package dev.walden.cli;

import dev.walden.protocol.ProtocolException;
import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;
import dev.walden.protocol.Result;
import dev.walden.protocol.Status;
import java.io.IOException;
import java.io.PrintStream;
import java.net.SocketException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code walden} client that PostgreSQL runs as {@code archive_command} and {@code restore_command}.
 *
 * <p>Deliberately tiny: no dependencies, no reflection, no logging framework, so that it starts fast on a JVM and
 * builds as a GraalVM native image. All work happens in the agent; this forwards one request and maps the reply
 * to the exit code PostgreSQL expects (see {@link ExitCode}).
 */
public final class Walden {
    public static final String VERSION = "0.1.0";
    public static final String DEFAULT_SOCKET = "/run/walden/walden.sock";
    public static final int DEFAULT_TIMEOUT_SECONDS = 300;

    static final String USAGE = """
            usage: walden [--socket PATH] [--timeout SECONDS] COMMAND ARGS

            commands:
              push %p %f     archive WAL file %p under the name %f   (archive_command)
              fetch %f %p    restore archived file %f to path %p     (restore_command)
              ping           check that the agent answers
              backup [--type full|incr] [--checksum-all] [--json]
                             take a base backup into the repository (the agent does the work)
              backup list [--json]
                             list the backups; only 'complete' ones can be restored
              backup show ID [--json]
                             one backup, the WAL it needs and the recovery window it opens
              backup keep ID [--until DATE]
                             hold a backup: retention keeps it (and what it needs) until released or DATE
              backup release ID
                             lift the hold
              backup commit ID
                             commit an 'uncommitted' backup, after reading back every object it needs
              restore --pgdata DIR [--backup ID] [--target-time TS | --target-lsn LSN | --target-xid XID
                      | --target-name NAME | --target immediate] [--target-action pause|promote|shutdown]
                      [--target-timeline latest|current|N] [--tablespace-map OID=DIR ...] [--delta] [--force]
                      [--archive-mode off|preserve] [--prepare] [--standby [--primary-conninfo CONNINFO]]
                      [--config-to DIR]
                             restore a backup into DIR, set up to recover to the target; the restored cluster
                             does not archive unless --archive-mode preserve (it replaces the primary);
                             --prepare only asks S3 to retrieve a backup kept in GLACIER or DEEP_ARCHIVE;
                             --standby sets DIR up as a standby that replays the archive, then streams;
                             configuration kept from outside the data directory goes into DIR, or --config-to
              restore-table --table SCHEMA.NAME [--table ...] --database DB --target-time TS | --target-lsn LSN
                      | --target-xid XID [--into-database DB] [--as NAME] [--schema-only | --data-only]
                      [--replace] [--json]
                             recover tables as of the target in drill-path and load them into the live cluster
                             beside the originals (NAME_restored_YYYYMMDDHHMM), or --replace them in one transaction
              expire [--dry-run] [--json]
                             apply the retention policy: say what is kept and why, delete the rest
              verify [--quick | --all] [--json]
                             check WAL continuity, backups and every object; exit 0 ok, 1 problems, 2 cannot check
              drill [--backup ID | --target-time TS] [--dump ID] [--keep] [--json]
                             restore into drill-path, start it, check it (amcheck, row counts, your SQL); report RTO/RPO
              dump [--database DB ...] [--json]
                             pg_dump each database (all but templates and dump-exclude) and the globals
              dump list [--database DB] [--json]
              dump get ID --to FILE
                             the custom-format file, for pg_restore by hand
              dump restore ID --database NEW [--create] [--table T ...] [--schema S ...] [--jobs N]
                      [--clean --if-exists] [--no-owner --no-privileges]
                             pg_restore a dump into NEW (--create makes NEW, and fails if it exists)
              status [--json]
                             one screen: archiving, backups, recovery window, verify, drills, schedules;
                             exit 0 healthy, 1 warnings, 2 critical
              --help         this text
              --version      print the client version

            options:
              --socket PATH        agent socket; else env WALDEN_SOCKET; else %s
              --timeout SECONDS    give up after this long of silence; else env WALDEN_TIMEOUT; else %d

            exit codes:
              push   0 archived durably; 1 not archived (PostgreSQL keeps the file and retries); 2 usage
              fetch  0 restored; 1 not in the archive; 126 cannot tell or cannot read it (recovery stops)
              other  0 done; non-zero as the agent decides (docs/protocol.md)
            """.replace("%s", DEFAULT_SOCKET).replace("%d", Integer.toString(DEFAULT_TIMEOUT_SECONDS));

    private Walden() {}

    public static void main(String[] args) {
        int code = run(args, System.getenv(), Path.of("").toAbsolutePath(), System.out, System.err);
        System.exit(code);
    }

    /** Runs one command and returns the exit code; never calls {@code System.exit}, so tests can call it. */
    public static int run(String[] args, Map<String, String> env, Path workingDirectory, PrintStream out, PrintStream err) {
        String socket = env.getOrDefault("WALDEN_SOCKET", DEFAULT_SOCKET);
        String timeout = env.getOrDefault("WALDEN_TIMEOUT", Integer.toString(DEFAULT_TIMEOUT_SECONDS));
        int index = 0;
        while (index < args.length && args[index].startsWith("--") && args[index].length() > 2) {
            String option = args[index];
            switch (option) {
                case "--help" -> {
                    out.print(USAGE);
                    return ExitCode.OK;
                }
                case "--version" -> {
                    out.println("walden " + VERSION);
                    return ExitCode.OK;
                }
                case "--socket", "--timeout" -> {
                    if (index + 1 >= args.length) {
                        return usage(err, option + " needs a value", false);
                    }
                    if (option.equals("--socket")) {
                        socket = args[index + 1];
                    } else {
                        timeout = args[index + 1];
                    }
                    index += 2;
                }
                default -> {
                    return usage(err, "unknown option " + option, commandIsFetch(args));
                }
            }
        }
        if (index >= args.length) {
            return usage(err, "no command given", false);
        }
        String command = args[index];
        int operands = args.length - index - 1;
        boolean fetch = command.equals("fetch");
        int timeoutSeconds;
        try {
            timeoutSeconds = Integer.parseInt(timeout.trim());
            if (timeoutSeconds < 1) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            return usage(err, "timeout must be a whole number of seconds >= 1, got '" + timeout + "'", fetch);
        }
        Request request;
        try {
            request = switch (command) {
                case "push" -> operands == 2
                        ? new Request.Push(args[index + 2], workingDirectory.resolve(args[index + 1]).normalize().toString())
                        : null;
                case "fetch" -> operands == 2
                        ? new Request.Fetch(args[index + 1], workingDirectory.resolve(args[index + 2]).normalize().toString())
                        : null;
                case "ping" -> operands == 0 ? new Request.Ping() : null;
                case "backup", "restore", "restore-table", "expire", "verify", "drill", "status", "dump" -> new Request.Command(
                        java.util.Arrays.asList(args).subList(index, args.length), workingDirectory.toString(),
                        env.getOrDefault("WALDEN_CLIENT", "walden"), "1".equals(env.get("WALDEN_PROGRESS")), zone(env));
                default -> null;
            };
        } catch (InvalidPathException e) {
            return usage(err, "invalid path: " + e.getMessage(), fetch);
        }
        if (request == null) {
            return usage(err, "wrong command or arguments: " + String.join(" ", args), fetch);
        }
        return send(Path.of(socket), request, timeoutSeconds, out, err);
    }

    private static int send(Path socket, Request request, int timeoutSeconds, PrintStream out, PrintStream err) {
        if (request instanceof Request.Command command) {
            return runCommand(socket, command, timeoutSeconds, out, err);
        }
        boolean fetch = request instanceof Request.Fetch;
        Watchdog watchdog = Watchdog.start(timeoutSeconds, fetch ? ExitCode.ABORT_RECOVERY : ExitCode.FAILED,
                "walden: the agent stopped answering: no reply within " + timeoutSeconds + " s (socket " + socket + ")."
                        + " HINT: is walden-agent overloaded or stuck? journalctl -u walden-agent");
        try {
            Reply reply = AgentConnection.exchange(socket, request);
            watchdog.cancel();
            return report(request, reply, out, err);
        } catch (IOException | ProtocolException e) {
            watchdog.cancel();
            reportConnectionFailure(socket, e, err);
        }
        return fetch ? ExitCode.ABORT_RECOVERY : ExitCode.FAILED;
    }

    /**
     * A long command: output frames are printed as they come, progress only on a terminal and on one line;
     * the timeout measures the agent's silence, and the agent sends a heartbeat while it works.
     */
    private static int runCommand(Path socket, Request.Command command, int timeoutSeconds, PrintStream out, PrintStream err) {
        int unreachable = ExitCode.whenAgentUnreachable(command.arguments().get(0));
        Watchdog watchdog = Watchdog.start(timeoutSeconds, unreachable,
                "walden: the agent stopped answering: not a word, not even its heartbeat, for " + timeoutSeconds
                        + " s (socket " + socket + "); giving up. The command may still be running in the agent. HINT: is"
                        + " walden-agent stuck or stopped (SIGSTOP, swapping)? journalctl -u walden-agent; walden status");
        boolean[] progressShown = {false};
        try {
            Result result = AgentConnection.command(socket, command, output -> {
                switch (output.stream()) {
                    case STDOUT -> {
                        clearProgress(out, progressShown);
                        out.print(output.text());
                        out.flush();
                    }
                    case STDERR -> {
                        clearProgress(out, progressShown);
                        err.print(output.text());
                        err.flush();
                    }
                    case PROGRESS -> {
                        if (command.progress() && !output.text().isEmpty()) {
                            out.print("\r\033[K" + output.text());
                            out.flush();
                            progressShown[0] = true;
                        }
                    }
                }
            }, watchdog::touch);
            watchdog.cancel();
            clearProgress(out, progressShown);
            if (!result.message().isEmpty()) {
                (result.exitCode() == 0 ? out : err).println(result.exitCode() == 0 ? result.message() : "walden: " + result.message());
            }
            return result.exitCode();
        } catch (IOException | ProtocolException e) {
            watchdog.cancel();
            reportConnectionFailure(socket, e, err);
        }
        return unreachable;
    }

    private static void reportConnectionFailure(Path socket, Exception e, PrintStream err) {
        String reason = e.getMessage() == null ? "" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
        if (e instanceof java.nio.file.AccessDeniedException || reason.contains("permission denied")) {
            err.println("walden: permission denied on the agent's socket " + socket + ": this user ("
                    + System.getProperty("user.name") + ") may not connect to it. HINT: run walden as the agent's user"
                    + " (e.g. sudo -u postgres walden ...), or add this user to the socket's group (postgres) and to the"
                    + " agent's allowed-users");
        } else if (e instanceof NoSuchFileException || e instanceof SocketException) {
            err.println("walden: cannot reach the agent at " + socket + ": " + describe(e)
                    + " HINT: is walden-agent running, and is --socket / WALDEN_SOCKET right?");
        } else {
            err.println("walden: talking to the agent at " + socket + " failed: " + describe(e));
        }
    }

    private static void clearProgress(PrintStream out, boolean[] progressShown) {
        if (progressShown[0]) {
            out.print("\r\033[K");
            progressShown[0] = false;
        }
    }

    private static int report(Request request, Reply reply, PrintStream out, PrintStream err) {
        // instanceof rather than a pattern switch: see WireFormat.encodeRequest.
        if (request instanceof Request.Ping) {
            if (reply.status() == Status.OK) {
                out.println(reply.message());
                return ExitCode.OK;
            }
            err.println("walden: ping failed: " + reply.message());
            return ExitCode.FAILED;
        }
        if (reply.status() != Status.OK) {
            err.println("walden: " + reply.message());
        }
        return request instanceof Request.Fetch ? ExitCode.forFetch(reply.status()) : ExitCode.forPush(reply.status());
    }

    private static boolean commandIsFetch(String[] args) {
        for (String arg : args) {
            if (arg.equals("fetch")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The caller's time zone, for times given without one: {@code TZ} when it names a zone (":Europe/Berlin" too),
     * else the system's. A POSIX TZ rule that names no zone falls back to the system's.
     */
    static String zone(java.util.Map<String, String> env) {
        String tz = env.get("TZ");
        if (tz != null && !tz.isBlank()) {
            try {
                return java.time.ZoneId.of(tz.startsWith(":") ? tz.substring(1) : tz, java.time.ZoneId.SHORT_IDS).getId();
            } catch (java.time.DateTimeException notAZoneName) {
                // a POSIX rule such as CET-1CEST: the system's zone below
            }
        }
        return java.time.ZoneId.systemDefault().getId();
    }

    private static int usage(PrintStream err, String problem, boolean fetch) {
        err.println("walden: " + problem + " (walden --help shows usage)");
        // A broken restore_command must stop recovery, not be read as "file not found".
        return fetch ? ExitCode.ABORT_RECOVERY : ExitCode.USAGE;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
