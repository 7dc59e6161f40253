package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.FaultyStorage;
import dev.walden.agent.testing.FaultyStorage.Failure;
import dev.walden.agent.testing.FaultyStorage.Operation;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Every command against every kind of storage failure, on the local driver and on S3 (s3proxy), with a real
 * PostgreSQL: each row asserts the exit code its caller expects, that the message names the failure and what to do,
 * and that nothing listed or acknowledged was lost. Afterwards verify finds everything whole and the newest listed
 * backup restores with its rows. The rows are docs/runbook.md's fault matrix, which this test keeps true.
 */
class FaultMatrixIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<Failure> STORAGE = List.of(Failure.PERMISSION_DENIED, Failure.OUT_OF_SPACE, Failure.READ_ONLY, Failure.UNAVAILABLE);
    static final List<Failure> READS = List.of(Failure.PERMISSION_DENIED, Failure.UNAVAILABLE, Failure.CORRUPT);

    /** What a row's command is run with, given what the run has made so far. */
    interface Arguments {
        String[] apply(Fixture fixture) throws Exception;
    }

    /** A command, the storage call that fails under it, and what its caller must see. */
    record Row(String command, Operation operation, String fragment, int nth, List<Failure> failures, int exit, int exitWhenCorrupt,
               String outcome, Arguments arguments) {}

    /** What the rows work on: the cluster, the agent, and what each run has made. */
    static final class Fixture {
        PostgresCluster primary;
        RunningAgent agent;
        FaultyStorage storage;
        String backup;
        String dump;
        String segment;
        String archived;
        Path workspace;
        Map<String, String> env;
        int targets;

        Path target(String name) throws Exception {
            return PostgresCluster.postgresDirectory(workspace.resolve(name + "-" + ++targets));
        }
    }

    static final List<Row> ROWS = List.of(
            new Row("push", Operation.PUT, "/wal/", 1, STORAGE, 1, 1,
                    "not archived; PostgreSQL keeps the file and retries", f -> new String[] {"push", "pg_wal/" + f.segment, f.segment}),
            new Row("fetch", Operation.OPEN, "/wal/", 1, READS, 126, 126,
                    "recovery stops rather than take the file as missing", f -> new String[] {"fetch", f.archived, "/tmp/walden-matrix-RECOVERYXLOG"}),
            new Row("backup", Operation.PUT, "/backup/", 3, STORAGE, 1, 1,
                    "the backup is never listed as complete", f -> new String[] {"backup"}),
            new Row("backup list", Operation.LIST, "/backup/", 1, STORAGE, 1, 1,
                    "no listing is invented", f -> new String[] {"backup", "list"}),
            new Row("backup show", Operation.OPEN, "/backup/", 1, READS, 1, 1,
                    "nothing shown as sound", f -> new String[] {"backup", "show", f.backup}),
            new Row("backup keep", Operation.PUT, "/backup/", 1, STORAGE, 1, 1,
                    "the backup is not marked kept", f -> new String[] {"backup", "keep", f.backup}),
            new Row("restore", Operation.OPEN, "/backup/", 3, READS, 1, 1,
                    "the target has no pg_control and cannot start", f -> new String[] {"restore", "--pgdata", f.target("restore").toString()}),
            new Row("verify", Operation.LIST, "/wal/", 1, STORAGE, 2, 2,
                    "could not check (2), never \"everything holds\"", f -> new String[] {"verify"}),
            new Row("verify", Operation.OPEN, "/wal/", 1, List.of(Failure.CORRUPT), 1, 1,
                    "a damaged object is a problem found (1), named", f -> new String[] {"verify"}),
            new Row("status", Operation.LIST, "/backup/", 1, STORAGE, 2, 2,
                    "critical: the backups cannot be vouched for", f -> new String[] {"status"}),
            new Row("dump", Operation.PUT, "/dump/", 1, STORAGE, 1, 1,
                    "the dump is never listed", f -> new String[] {"dump", "--database", "postgres"}),
            new Row("dump list", Operation.LIST, "/dump/", 1, STORAGE, 1, 1,
                    "no listing is invented", f -> new String[] {"dump", "list"}),
            new Row("dump get", Operation.OPEN, "/dump/", 1, READS, 1, 1,
                    "no file is left at --to", f -> new String[] {"dump", "get", f.dump, "--to", f.workspace.resolve("dump-" + ++f.targets).toString()}),
            new Row("expire", Operation.DELETE, "/backup/", 1, STORAGE, 1, 1,
                    "what was not removed stays listed or marked expiring; the next expire finishes", f -> new String[] {"expire"}));

    static final String BEGIN = "<!-- fault matrix: generated from FaultMatrixIT.ROWS; FaultMatrixIT checks it -->";
    static final String END = "<!-- end of fault matrix -->";

    /** docs/runbook.md's fault matrix, written from the rows that this test runs. */
    static String matrix() {
        StringBuilder md = new StringBuilder(BEGIN).append("\n\n| command | storage call that fails | failures injected | exit | afterwards |\n")
                .append("|---|---|---|---|---|\n");
        for (Row row : ROWS) {
            md.append("| `walden ").append(row.command()).append("` | ").append(row.operation().name().toLowerCase())
                    .append(row.nth() > 1 ? " (from the " + row.nth() + "rd call)" : "").append(" | ")
                    .append(String.join(", ", row.failures().stream().map(FaultMatrixIT::words).toList())).append(" | ")
                    .append(row.exit()).append(row.exitWhenCorrupt() != row.exit() ? " (" + row.exitWhenCorrupt() + " when corrupt)" : "")
                    .append(" | ").append(row.outcome()).append(" |\n");
        }
        md.append("\n| failure | the message says | what to do |\n|---|---|---|\n");
        for (Failure failure : List.of(Failure.PERMISSION_DENIED, Failure.OUT_OF_SPACE, Failure.READ_ONLY, Failure.UNAVAILABLE,
                Failure.CORRUPT)) {
            md.append("| ").append(words(failure)).append(" | `").append(phrase(failure).replace("|", "` or `")).append("` | ")
                    .append(switch (failure) {
                        case PERMISSION_DENIED -> "give the agent's user the repository (`chown -R`), or the bucket policy its permissions";
                        case OUT_OF_SPACE -> "free space (`walden expire` with a policy) or move `repo-path`; raise a bucket quota";
                        case READ_ONLY -> "under systemd, add the directory with `ReadWritePaths=` (`systemctl edit walden-agent`)";
                        case UNAVAILABLE -> "check the disk, mount or network path; S3 calls were retried within `s3-timeout` first";
                        case CORRUPT -> "`walden verify` names every damaged object; restore it from a copy, or take a new backup";
                        case HANG, BUG -> throw new IllegalArgumentException(failure + " is not a storage failure kind");
                    }).append(" |\n");
        }
        return md.append("\n").append(END).toString();
    }

    private static String words(Failure failure) {
        return failure.name().toLowerCase().replace('_', ' ');
    }

    @Test
    void theRunbookShowsTheMatrixThatIsTested() throws Exception {
        String runbook = Files.readString(Path.of(System.getProperty("walden.docs", "../docs"), "runbook.md"));
        int begin = runbook.indexOf(BEGIN);
        int end = runbook.indexOf(END);
        String expected = matrix();
        Path generated = Path.of("target", "fault-matrix.md");
        Files.writeString(generated, expected + "\n");
        assertTrue(begin >= 0 && end > begin, "docs/runbook.md has no fault matrix; paste target/fault-matrix.md into it");
        assertEquals(expected, runbook.substring(begin, end + END.length()),
                "docs/runbook.md's fault matrix is stale: replace it with agent/target/fault-matrix.md");
    }

    @Test
    void everyCommandAnswersEveryStorageFailureOnTheLocalDriver() throws Exception {
        run(Map.of(), 55471);
    }

    @Test
    void everyCommandAnswersEveryStorageFailureOnS3() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            s3.createBucket("matrix");
            Map<String, String> options = new HashMap<>(s3.agentOptions("matrix", "walden"));
            options.put("encryption", "off");
            run(options, 55472);
        }
    }

    private void run(Map<String, String> storageOptions, int port) throws Exception {
        Fixture f = new Fixture();
        f.workspace = workspace;
        AtomicReference<FaultyStorage> faulty = new AtomicReference<>();
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "matrix", port)) {
            Map<String, String> options = primary.agentOptions("retain-daily", "1");
            options.putAll(storageOptions);
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options, Clock.systemUTC(), s -> {
                faulty.set(new FaultyStorage(s));
                return faulty.get();
            })) {
                f.primary = primary;
                f.agent = agent;
                f.storage = faulty.get();
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                f.env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE kept (id int PRIMARY KEY, note text)");
                primary.sql("INSERT INTO kept SELECT g, 'row ' || g FROM generate_series(1, 1000) g");
                f.backup = ok(agent.client(f.env, dir, "backup", "--json")).path("id").asText();
                f.dump = ok(agent.client(f.env, dir, "dump", "--database", "postgres", "--json")).get(0).path("id").asText();
                f.archived = primary.sql("SELECT last_archived_wal FROM pg_stat_archiver");
                // A segment PostgreSQL has finished and not archived, for the push rows to push by hand.
                primary.sql("ALTER SYSTEM SET archive_command = '/bin/false'");
                primary.sql("SELECT pg_reload_conf()");
                primary.sql("INSERT INTO kept SELECT g, 'later ' || g FROM generate_series(1001, 2000) g");
                f.segment = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
                primary.sql("SELECT pg_switch_wal()");

                String repository = agent.storage().describe();
                for (Row row : ROWS) {
                    for (Failure failure : row.failures()) {
                        Set<String> before = complete(agent);
                        f.storage.inject(new FaultyStorage.Fault(row.operation(), row.fragment(), row.nth(), failure));
                        String[] arguments = row.arguments().apply(f);
                        RunningAgent.ClientRun run = agent.client(f.env, primary.dataDirectory(), arguments);
                        f.storage.clear();
                        String said = run.stdout() + run.stderr();
                        String where = row.command() + " with " + failure + " on " + row.operation() + " (" + repository + "): ";
                        assertEquals(failure == Failure.CORRUPT ? row.exitWhenCorrupt() : row.exit(), run.exitCode(), where + said);
                        assertTrue(java.util.regex.Pattern.compile(phrase(failure)).matcher(said).find(), where + "names the failure: " + said);
                        if (failure != Failure.CORRUPT) {
                            assertTrue(said.contains(repository), where + "names the repository: " + said);
                        }
                        assertFalse(said.contains("internal error") || said.contains("Exception"), where + "a storage failure, not a bug: " + said);
                        if (!row.command().equals("expire")) {
                            assertEquals(before, complete(agent), where + "nothing listed was lost or added");
                        }
                        afterwards(row, f, arguments);
                    }
                    if (row.command().equals("push")) {
                        RunningAgent.ClientRun push = agent.client(f.env, primary.dataDirectory(), "push", "pg_wal/" + f.segment, f.segment);
                        assertEquals(0, push.exitCode(), "pushed once the disk is back: " + push.stderr());
                        primary.sql("ALTER SYSTEM RESET archive_command");
                        primary.sql("SELECT pg_reload_conf()");
                    }
                }

                // Nothing acknowledged was lost: verify finds everything whole, and the newest listed backup restores.
                RunningAgent.ClientRun expire = agent.client(f.env, dir, "expire");
                assertEquals(0, expire.exitCode(), "the next expire finishes: " + expire.stderr());
                RunningAgent.ClientRun verify = agent.client(f.env, dir, "verify");
                assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());
                Path target = f.target("final");
                RunningAgent.ClientRun restore = agent.client(f.env, dir, "restore", "--pgdata", target.toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster restored = PostgresCluster.restored(target, workspace, port + 10)) {
                    restored.start();
                    restored.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("2000", restored.sql("SELECT count(*) FROM kept"), "every row, up to the last archived WAL");
                }
            }
        }
    }

    /** What each row leaves behind, checked once the failure is gone. */
    private void afterwards(Row row, Fixture f, String[] arguments) throws Exception {
        switch (row.command()) {
            case "restore" -> assertFalse(Files.exists(Path.of(arguments[2], "global/pg_control")), "a failed restore cannot start");
            case "dump get" -> assertFalse(Files.exists(Path.of(arguments[4])), "no partial dump file is left");
            case "backup keep" -> assertFalse(f.agent.client(f.env, dir, "backup", "show", f.backup).stdout().contains("kept"),
                    "not marked kept");
            case "dump" -> assertEquals(1, ok(f.agent.client(f.env, dir, "dump", "list", "--database", "postgres", "--json")).size(),
                    "the failed dump is not listed");
            case "expire" -> {
                // Taken while deletes fail: the backup completes, the expiry after it fails and says so.
                RunningAgent.ClientRun backup = f.agent.client(f.env, dir, "backup");
                assertEquals(0, backup.exitCode(), backup.stderr());
            }
            default -> { }
        }
    }

    /** What the DBA's message says for each failure (a regular expression). */
    static String phrase(Failure failure) {
        return switch (failure) {
            case PERMISSION_DENIED -> "may not read or write";
            case OUT_OF_SPACE -> "file system is full";
            case READ_ONLY -> "read-only file system";
            case UNAVAILABLE -> "Input/output error";
            case CORRUPT -> "checksum|damaged|tampered";
            case HANG, BUG -> throw new IllegalArgumentException(failure + " is not a storage failure kind");
        };
    }

    private Set<String> complete(RunningAgent agent) throws Exception {
        Set<String> ids = new TreeSet<>();
        for (JsonNode b : ok(agent.client(dir, "backup", "list", "--json"))) {
            if (b.path("status").asText().equals("complete")) {
                ids.add(b.path("id").asText());
            }
        }
        return ids;
    }

    private static JsonNode ok(RunningAgent.ClientRun run) throws Exception {
        assertEquals(0, run.exitCode(), run.stdout() + run.stderr());
        return JSON.readTree(run.stdout());
    }
}
