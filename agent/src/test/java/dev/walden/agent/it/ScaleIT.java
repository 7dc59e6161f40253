package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.testing.AgentProcess;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A catalog of 20,000 tables (each with a primary key and one row: some 45,000 files) backed up, incrementally backed
 * up, verified, restored and expired by an agent whose heap is 48 MiB: anything that holds per-file state in memory
 * (a manifest as one tree, a listing of the data directory, a map of the parent's files) runs out of memory here, in
 * CI, rather than at a site with a million files. The figures at a million files are in docs/benchmarks.md.
 */
class ScaleIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int TABLES = 20_000;
    static final List<String> SMALL_HEAP = List.of("-Xmx48m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");
    private Map<String, String> env;

    @Test
    void twentyThousandTablesInA48MiBHeap() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "scale", 55521)) {
            Path agentDirectory = dir.resolve("agent");
            Map<String, String> options = primary.agentOptions("retain-daily", "1");
            try (AgentProcess agent = AgentProcess.withJvmOptions(agentDirectory, options, SMALL_HEAP)) {
                Path walden = ClientLauncher.write(agentDirectory, agent.socket());
                env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n"
                        + "max_locks_per_transaction = 1024\nfsync = off\n");
                primary.start();
                primary.sql("CREATE PROCEDURE make_tables(first int, last int) LANGUAGE plpgsql AS $$ BEGIN"
                        + " FOR i IN first..last LOOP"
                        + " EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY); INSERT INTO t%s VALUES (%s)', i, i, i);"
                        + " IF i % 500 = 0 THEN COMMIT; END IF; END LOOP; END $$");
                primary.sql("CALL make_tables(1, " + TABLES + ")");

                JsonNode full = ok(agent, "backup", "--json");
                assertTrue(full.path("bytes").asLong() > 0, full.toString());
                primary.sql("INSERT INTO t7 VALUES (70000); CREATE TABLE after_full (id int); INSERT INTO after_full VALUES (1)");
                JsonNode incr = ok(agent, "backup", "--type", "incr", "--json");
                assertEquals(full.path("id").asText(), incr.path("parent").asText(), incr.toString());
                assertTrue(incr.path("stored_bytes").asLong() < full.path("stored_bytes").asLong() / 2,
                        "an incremental stores what changed: " + incr + " vs " + full);

                RunningAgent.ClientRun verify = RunningAgent.run(agent.socket(), env, dir, "verify", "--all");
                assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr() + agent.log());

                Path target = PostgresCluster.postgresDirectory(workspace.resolve("scale-restored"));
                RunningAgent.ClientRun restore = RunningAgent.run(agent.socket(), env, dir, "restore", "--pgdata", target.toString());
                assertEquals(0, restore.exitCode(), restore.stderr() + agent.log());
                var files = java.util.regex.Pattern.compile("([0-9]+) files").matcher(restore.stdout() + restore.stderr());
                assertTrue(files.find() && Long.parseLong(files.group(1)) > 2L * TABLES, "every table's files: " + restore.stdout() + restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(target, workspace, 55522)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(180));
                    assertEquals(Integer.toString(TABLES), copy.sql("SELECT count(*) FROM pg_class WHERE relname ~ '^t[0-9]+$' AND relkind = 'r'"));
                    assertEquals("2", copy.sql("SELECT count(*) FROM t7"), "the row added before the incremental is back");
                    assertEquals("1", copy.sql("SELECT count(*) FROM after_full"));
                    assertEquals("1", copy.sql("SELECT count(*) FROM t19999"));
                }

                ok(agent, "backup", "--type", "full", "--json");
                RunningAgent.ClientRun expire = RunningAgent.run(agent.socket(), env, dir, "expire");
                assertEquals(0, expire.exitCode(), expire.stdout() + expire.stderr());
                assertEquals(0, RunningAgent.run(agent.socket(), env, dir, "backup", "list").exitCode());
                assertTrue(agent.log().lines().noneMatch(l -> l.contains("OutOfMemoryError")), agent.log());
            }
        }
    }

    private JsonNode ok(AgentProcess agent, String... command) throws Exception {
        RunningAgent.ClientRun run = RunningAgent.run(agent.socket(), env, dir, command);
        assertEquals(0, run.exitCode(), String.join(" ", command) + ": " + run.stdout() + run.stderr() + "\n" + agent.log());
        String out = run.stdout().strip();
        return out.startsWith("[") || out.startsWith("{") ? JSON.readTree(out) : JSON.createObjectNode();
    }
}
