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
import dev.walden.agent.testing.SmallDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real disks that fill up (tmpfs of a fixed size): a repository full during a backup and a dump, and a restore target
 * too small for the backup. Each command exits 1 and says which disk is full and what to do; nothing incomplete is
 * listed complete, the target cannot start, and once there is room the same commands work.
 */
class DiskFullIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aFullRepositoryAndAFullRestoreTargetAreNamedAndLoseNothing() throws Exception {
        try (SmallDisk repositoryDisk = SmallDisk.mount(dir.resolve("repository-disk"), 96);
             SmallDisk targetDisk = SmallDisk.mount(dir.resolve("target-disk"), 8);
             PostgresCluster primary = PostgresCluster.initdb(workspace, "full", 55498)) {
            Map<String, String> options = primary.agentOptions("repo-path", repositoryDisk.path().resolve("repo").toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.tool("pgbench", "-i", "-s", "2", "-q", "postgres");
                // Data that does not compress away: a backup of it needs megabytes.
                primary.sql("CREATE TABLE noise AS SELECT md5(random()::text) || md5(random()::text) AS t FROM generate_series(1, 100000)");
                String first = JSON.readTree(ok(agent.client(env, dir, "backup", "--json"))).path("id").asText();

                // Fill the repository's disk to its last few hundred KiB.
                Path filler = repositoryDisk.path().resolve("filler");
                long usable = Files.getFileStore(repositoryDisk.path()).getUsableSpace();
                Files.write(filler, new byte[(int) Math.max(0, usable - (384 << 10))]);

                RunningAgent.ClientRun backup = agent.client(env, dir, "backup");
                assertEquals(1, backup.exitCode(), backup.stderr());
                assertTrue(backup.stderr().contains("file system is full") && backup.stderr().contains("HINT"), backup.stderr());
                RunningAgent.ClientRun dump = agent.client(dir, "dump", "--database", "postgres");
                assertEquals(1, dump.exitCode(), dump.stderr());
                assertTrue(dump.stderr().contains("file system is full"), dump.stderr());
                JsonNode backups = JSON.readTree(ok(agent.client(dir, "backup", "list", "--json")));
                for (JsonNode b : backups) {
                    assertEquals(b.path("id").asText().equals(first), b.path("status").asText().equals("complete"),
                            "only the first backup is complete: " + backups);
                }
                for (JsonNode d : JSON.readTree(ok(agent.client(dir, "dump", "list", "--json")))) {
                    assertFalse(d.path("status").asText().equals("complete") && "postgres".equals(d.path("database").asText(null)),
                            "the failed dump is not listed complete (the globals' few bytes fit): " + d);
                }
                RunningAgent.ClientRun status = agent.client(dir, "status");
                assertEquals(2, status.exitCode(), "a full repository is critical: " + status.stdout());
                assertTrue(status.stdout().contains("out of space"), status.stdout());

                // A restore target too small for the backup.
                Path target = targetDisk.path().resolve("restored");
                Files.createDirectories(target);
                PostgresCluster.postgresDirectory(target);
                RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", target.toString());
                assertEquals(1, restore.exitCode(), restore.stderr());
                assertTrue(restore.stderr().contains(target.toString()) && restore.stderr().toLowerCase().contains("no space left"),
                        "names the full target: " + restore.stderr());
                assertFalse(Files.exists(target.resolve("global/pg_control")), "a target that did not fit cannot start");

                // With room again, the same commands work, and the backup restores.
                Files.delete(filler);
                String second = JSON.readTree(ok(agent.client(env, dir, "backup", "--json"))).path("id").asText();
                ok(agent.client(dir, "dump", "--database", "postgres"));
                Path roomy = PostgresCluster.postgresDirectory(workspace.resolve("roomy"));
                ok(agent.client(env, dir, "restore", "--pgdata", roomy.toString(), "--backup", second));
                try (PostgresCluster restored = PostgresCluster.restored(roomy, workspace, 55499)) {
                    restored.start();
                    restored.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("200000", restored.sql("SELECT count(*) FROM pgbench_accounts"));
                }
            }
        }
    }

    private static String ok(RunningAgent.ClientRun run) {
        assertEquals(0, run.exitCode(), run.stdout() + run.stderr());
        return run.stdout();
    }
}
