package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A database that goes away under a drill (its scratch server killed) and under a dump (the cluster stopped): each
 * command fails with exit 1 and says what happened, nothing half done is listed, and the next run works. (A backup
 * whose database stops is in BackupFailuresIT.)
 */
class DatabaseGoneIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aDrillWhoseServerDiesAndADumpWhoseDatabaseStopsFailAndListNothing() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "gone", 55497)) {
            Path drillPath = dir.resolve("drill");
            Map<String, String> options = primary.agentOptions("drill-path", drillPath.toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.tool("pgbench", "-i", "-s", "10", "-q", "postgres");
                assertEquals(0, agent.client(env, dir, "backup").exitCode());

                // The drill's scratch server killed while it checks.
                CompletableFuture<RunningAgent.ClientRun> drill = CompletableFuture.supplyAsync(() -> agent.client(env, dir, "drill", "--json"));
                primary.await("the drill's server to run", Duration.ofSeconds(120), () -> scratchServer(drillPath).isPresent() || drill.isDone());
                scratchServer(drillPath).ifPresent(ProcessHandle::destroyForcibly);
                RunningAgent.ClientRun killed = drill.get();
                assertEquals(1, killed.exitCode(), killed.stdout() + killed.stderr());
                JsonNode report = JSON.readTree(killed.stdout());
                assertEquals("failed", report.path("result").asText(), report.toPrettyString());
                assertTrue(DrillIT.empty(drillPath), "the scratch directory is removed");
                assertEquals("1000000", primary.sql("SELECT count(*) FROM pgbench_accounts"), "the live cluster is untouched");
                RunningAgent.ClientRun again = agent.client(env, dir, "drill");
                assertEquals(0, again.exitCode(), "the next drill passes: " + again.stdout() + again.stderr());

                // The cluster stopped while pg_dump reads it.
                CompletableFuture<RunningAgent.ClientRun> dump = CompletableFuture.supplyAsync(() -> agent.client(dir, "dump", "--database", "postgres"));
                primary.await("pg_dump to read the database", Duration.ofSeconds(60), () -> dump.isDone()
                        || "1".equals(primary.trySql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'")));
                primary.stop();
                RunningAgent.ClientRun stopped = dump.get();
                assertEquals(1, stopped.exitCode(), stopped.stdout() + stopped.stderr());
                assertTrue(stopped.stderr().contains("pg_dump"), "names what failed: " + stopped.stderr());
                for (JsonNode d : JSON.readTree(agent.client(dir, "dump", "list", "--json").stdout())) {
                    assertFalse(d.path("status").asText().equals("complete") && "postgres".equals(d.path("database").asText(null)),
                            "the interrupted dump is not listed complete: " + d);
                }
                primary.start();
                RunningAgent.ClientRun next = agent.client(dir, "dump", "--database", "postgres");
                assertEquals(0, next.exitCode(), next.stderr());
            }
        }
    }

    /** The drill's scratch postgres, found by its data directory under the drill path. */
    private static Optional<ProcessHandle> scratchServer(Path drillPath) {
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(p -> p.info().commandLine().map(c -> c.contains("postgres") && c.contains(drillPath.toString())
                    && !c.contains("pg_ctl")).orElse(false)).findFirst();
        }
    }
}
