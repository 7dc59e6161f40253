package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The agent killed (as by SIGKILL: no shutdown hook, nothing flushed) at each phase of a backup, an expiry, a hold and
 * its release, and a dump, with a real PostgreSQL archiving through it. After each crash a fresh agent lists only what
 * is complete as complete, and at the end verify finds everything listed whole and the newest backup restores.
 */
class CrashPhasesIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();
    private Path agentDirectory;
    private Map<String, String> options;
    private Map<String, String> env;

    @Test
    void aKillAtEachPhaseLeavesOnlyCompleteWorkListedAsComplete() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "crashes", 55491)) {
            agentDirectory = dir.resolve("agent");
            options = primary.agentOptions("retain-daily", "1", "backup-bundle-mib", "1", "backup-bundle-file-kib", "64");
            String first;
            try (AgentProcess agent = AgentProcess.start(agentDirectory, options)) {
                Path walden = ClientLauncher.write(agentDirectory, agent.socket());
                env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.tool("pgbench", "-i", "-s", "1", "-q", "postgres");
                first = ok(agent, "backup", "--json").path("id").asText();
            }

            // A backup killed before its first data object, before its manifest, before its commit record: never complete.
            for (String phase : new String[] {"put:/data/:1", "put:/manifest:1"}) {
                crash(phase, "backup");
                Map<String, String> listed = listed();
                assertEquals("complete", listed.get(first), phase + ": " + listed);
                assertEquals(1, listed.values().stream().filter("complete"::equals).count(), phase + ": only the earlier backup is complete: " + listed);
            }
            crash("put:/commit:1", "backup");
            Map<String, String> afterManifest = listed();
            String uncommitted = afterManifest.entrySet().stream().filter(e -> e.getValue().equals("uncommitted")).map(Map.Entry::getKey)
                    .findFirst().orElseThrow(() -> new AssertionError("a backup with a manifest and no commit record: " + afterManifest));
            try (AgentProcess agent = AgentProcess.start(agentDirectory, options)) {
                RunningAgent.ClientRun verify = RunningAgent.run(agent.socket(), env, dir, "verify");
                assertEquals(1, verify.exitCode(), "an uncommitted backup is a problem to look at: " + verify.stdout());
                assertTrue(verify.stdout().contains(uncommitted), verify.stdout());
                // Its data and WAL are all there: committing it by hand reads them back first.
                RunningAgent.ClientRun commit = RunningAgent.run(agent.socket(), env, dir, "backup", "commit", uncommitted);
                assertEquals(0, commit.exitCode(), commit.stderr());
            }
            assertEquals("complete", listed().get(uncommitted));

            // Killed after the commit record, before the lock is released: complete, and the next backup takes the lock over.
            crash("delete:/lock:1", "backup");
            Map<String, String> afterCommit = listed();
            assertEquals(4 - 1, afterCommit.values().stream().filter("complete"::equals).count(), "first, the committed one and the new one: " + afterCommit);

            // An expiry killed at each of its steps: what it has not finished stays complete or turns incomplete, never unusable.
            for (String phase : new String[] {"put:/expiring:1", "delete:/commit:1", "delete:/data/:1", "delete:/expiring:1"}) {
                crash(phase, "expire");
                Map<String, String> listed = listed();
                assertTrue(listed.values().stream().allMatch(s -> s.equals("complete") || s.equals("incomplete")), phase + ": " + listed);
                assertTrue(listed.values().stream().anyMatch("complete"::equals), phase + ": the newest backup stays: " + listed);
            }
            String newest = listed().entrySet().stream().filter(e -> e.getValue().equals("complete")).map(Map.Entry::getKey)
                    .max(String::compareTo).orElseThrow();

            // A hold killed before it is stored does not hold; one killed while replacing an earlier hold still holds.
            crash("put:/hold-:1", "backup", "keep", newest);
            assertEquals("", held(newest), "not held");
            try (AgentProcess agent = AgentProcess.start(agentDirectory, options)) {
                ok(agent, "backup", "keep", newest);
            }
            crash("delete:/hold-:1", "backup", "keep", newest, "--until", "2099-01-01");
            assertNotEquals("", held(newest), "still held after a crash while replacing the hold");
            crash("delete:/hold-:1", "backup", "release", newest);
            assertEquals("complete", listed().get(newest), "a release killed midway leaves the backup as it was");

            // A dump killed before its data or its commit record is stored is never listed.
            for (String phase : new String[] {"put:/dump/:1", "put:/dump/:2"}) {
                crash(phase, "dump", "--database", "postgres");
                try (AgentProcess agent = AgentProcess.start(agentDirectory, options)) {
                    JsonNode dumps = ok(agent, "dump", "list", "--json");
                    for (JsonNode d : dumps) {
                        assertEquals("incomplete", d.path("status").asText(), phase + ": never listed complete: " + dumps);
                    }
                }
            }

            // Afterwards: one expiry cleans up what the crashes left, verify finds everything whole, the newest backup restores.
            try (AgentProcess agent = AgentProcess.start(agentDirectory, options)) {
                assertTrue(ok(agent, "dump", "--database", "postgres", "--json").size() >= 1, "a dump works again");
                for (JsonNode d : ok(agent, "dump", "list", "--json")) {
                    assertEquals("complete", d.path("status").asText(), "the next dump removed the leftovers: " + d);
                }
                RunningAgent.ClientRun expire = RunningAgent.run(agent.socket(), env, dir, "expire");
                assertEquals(0, expire.exitCode(), expire.stderr());
                RunningAgent.ClientRun verify = RunningAgent.run(agent.socket(), env, dir, "verify");
                assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());
                Path target = PostgresCluster.postgresDirectory(workspace.resolve("after-crashes"));
                RunningAgent.ClientRun restore = RunningAgent.run(agent.socket(), env, dir, "restore", "--pgdata", target.toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(target, workspace, 55492)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("100000", copy.sql("SELECT count(*) FROM pgbench_accounts"));
                }
            }
        }
    }

    /** Runs a command on an agent that dies at {@code phase}, and waits for it to die there. */
    private void crash(String phase, String... command) throws Exception {
        try (AgentProcess crashing = AgentProcess.crashingAt(agentDirectory, options, phase)) {
            RunningAgent.ClientRun run = RunningAgent.run(crashing.socket(), env, dir, command);
            assertTrue(crashing.awaitDeath(Duration.ofSeconds(60)), phase + " was never reached by " + String.join(" ", command)
                    + " (exit " + run.exitCode() + ": " + run.stderr() + ")\n" + crashing.log());
            assertNotEquals(0, run.exitCode(), phase + ": a killed command never reports success");
        }
    }

    /** Each backup's id and status, as a fresh agent lists them. */
    private Map<String, String> listed() throws Exception {
        try (AgentProcess agent = AgentProcess.start(agentDirectory, options)) {
            Map<String, String> listed = new LinkedHashMap<>();
            for (JsonNode b : ok(agent, "backup", "list", "--json")) {
                listed.put(b.path("id").asText(), b.path("status").asText());
            }
            return listed;
        }
    }

    private String held(String id) throws Exception {
        try (AgentProcess agent = AgentProcess.start(agentDirectory, options)) {
            for (JsonNode b : ok(agent, "backup", "list", "--json")) {
                if (b.path("id").asText().equals(id)) {
                    return b.path("held_until").asText("");
                }
            }
            throw new AssertionError("backup " + id + " is not listed");
        }
    }

    private JsonNode ok(AgentProcess agent, String... command) throws Exception {
        RunningAgent.ClientRun run = RunningAgent.run(agent.socket(), env == null ? Map.of() : env, dir, command);
        assertEquals(0, run.exitCode(), String.join(" ", command) + ": " + run.stdout() + run.stderr());
        String out = run.stdout().strip();
        return out.startsWith("[") || out.startsWith("{") ? JSON.readTree(out) : JSON.createObjectNode();
    }
}
