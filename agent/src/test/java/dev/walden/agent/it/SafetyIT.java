package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.Agent;
import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Nothing Walden does destroys what it protects (issue 16), tried as a careless DBA and as another local user would
 * against a real agent and PostgreSQL: links to the repository, the agent's own directory, hostile recovery targets,
 * dump get into the repository or the live cluster, a wrong keyring, users who may connect but not write; a missing or
 * damaged commit record; pushes of files PostgreSQL could not have written.
 */
class SafetyIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** An agent started from a configuration file in {@code etc}, with its keyring beside it, as a DBA installs it. */
    private Agent startFromConfigFile(Path etc, Path agentDirectory, Map<String, String> options) throws Exception {
        StringBuilder conf = new StringBuilder();
        Map<String, String> all = new TreeMap<>(options);
        all.putAll(Map.of("socket-path", agentDirectory.resolve("walden.sock").toString(), "socket-mode", "0666",
                "repo-path", agentDirectory.resolve("repo").toString(), "spool-path", agentDirectory.resolve("spool").toString(),
                "keyring-path", etc.resolve("keyring").toString()));
        all.forEach((k, v) -> conf.append(k).append(" = ").append(v).append('\n'));
        Path file = Files.writeString(etc.resolve("walden-agent.conf"), conf);
        return Agent.start(AgentConfig.load(file, Map.of(), Map.of()));
    }

    /** What lies under {@code root}, leaving out the temporary files of puts in progress (PostgreSQL archives meanwhile). */
    private static Map<Path, Long> snapshot(Path root) throws Exception {
        Map<Path, Long> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (!p.getFileName().toString().startsWith(".tmp-") && Files.isRegularFile(p)) {
                    try {
                        files.put(p, Files.size(p));
                    } catch (java.nio.file.NoSuchFileException renamedMeanwhile) {
                        // a put finishing: the file appears under its own name
                    }
                }
            }
        }
        return files;
    }

    @Test
    void nothingTheAgentKeepsCanBeWrittenOverOrDeleted() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.setPosixFilePermissions(etc, PosixFilePermissions.fromString("rwxr-xr-x"));
        KeyringFile.addKey(etc.resolve("keyring"), Optional.of("k-right"), true, false, new SecureRandom());
        Path agentDirectory = Files.createDirectories(dir.resolve("agent"));
        Files.setPosixFilePermissions(agentDirectory, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path repo = agentDirectory.resolve("repo");
        Path socket = agentDirectory.resolve("walden.sock");
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "safety", 55491)) {
            Map<String, String> options = primary.agentOptions("allowed-users", "postgres,nobody");
            Agent agent = startFromConfigFile(etc, agentDirectory, options);
            try {
                Path walden = ClientLauncher.write(agentDirectory, socket);
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('the row')");
                RunningAgent.ClientRun backup = RunningAgent.run(socket, Map.of(), dir, "backup");
                assertEquals(0, backup.exitCode(), backup.stderr());
                Map<Path, Long> repoBefore = snapshot(repo);
                Map<Path, Long> etcBefore = snapshot(etc);

                // 1. A symlink to the repository is the repository.
                Path links = Files.createDirectories(dir.resolve("x"));
                Files.createSymbolicLink(links.resolve("lnrepo"), repo);
                for (String pgdata : List.of(links.resolve("lnrepo").toString(), links.resolve("lnrepo") + "/sub",
                        links + "/lnrepo/../repo", repo.toString())) {
                    RunningAgent.ClientRun refused = RunningAgent.run(socket, Map.of(), dir, "restore", "--pgdata", pgdata, "--force");
                    assertEquals(1, refused.exitCode(), pgdata + ": " + refused.stderr());
                    assertTrue(refused.stderr().contains("would overlap") && refused.stderr().contains("repository"), refused.stderr());
                }
                // 2. --force into the directory that holds the keyring and the configuration file.
                RunningAgent.ClientRun intoEtc = RunningAgent.run(socket, Map.of(), dir, "restore", "--pgdata", etc.toString(), "--force");
                assertEquals(1, intoEtc.exitCode(), intoEtc.stderr());
                assertTrue(intoEtc.stderr().contains("keyring") || intoEtc.stderr().contains("configuration file"), intoEtc.stderr());
                // 6 and 14. dump get --to never lands in the repository or the live cluster.
                String sys = primary.sql("SELECT system_identifier FROM pg_control_system()");
                for (Path to : List.of(repo.resolve(sys + "/backup/hold-9999999999999"), repo.resolve(sys + "/wal/00000001/000000010000000000000030"),
                        primary.dataDirectory().resolve("standby.signal"), etc.resolve("keyring"))) {
                    RunningAgent.ClientRun get = RunningAgent.run(socket, Map.of(), dir, "dump", "get", "20261201-013000-d-x", "--to", to.toString());
                    assertEquals(1, get.exitCode(), get.stderr());
                    assertTrue(get.stderr().contains("would overlap"), get.stderr());
                    assertEquals(etcBefore.get(to), Files.exists(to) ? Files.size(to) : null, to + " was written");
                }
                // 11. A line break in a recovery target is refused before anything is written.
                Path injected = dir.resolve("inj");
                RunningAgent.ClientRun injection = RunningAgent.run(socket, Map.of(), dir, "restore", "--pgdata", injected.toString(),
                        "--target-name", "a\\'\nrestore_command = base/../../../../tmp/x/pwn.sh\n#");
                assertEquals(2, injection.exitCode(), injection.stderr());
                assertTrue(injection.stderr().contains("control character"), injection.stderr());
                assertFalse(Files.exists(injected), "nothing was written");
                // 15. An impossible date is refused, not moved to the end of February.
                RunningAgent.ClientRun impossible = RunningAgent.run(socket, Map.of(), dir, "restore", "--pgdata", injected.toString(),
                        "--target-time", "2026-02-30 10:00");
                assertEquals(2, impossible.exitCode(), impossible.stderr());

                // 7. A user who may connect may read, but not write or delete, and never with the agent's rights.
                Path victim = Files.createDirectories(dir.resolve("victim"));
                Files.writeString(victim.resolve("data.txt"), "not nobody's to delete");
                ProcessResult asNobody = runAs("nobody", walden.toString(), "restore", "--pgdata", victim.toString(), "--force");
                assertEquals(1, asNobody.exit(), asNobody.output());
                assertTrue(asNobody.output().contains("operator-users"), asNobody.output());
                assertTrue(Files.exists(victim.resolve("data.txt")));
                ProcessResult listing = runAs("nobody", walden.toString(), "backup", "list");
                assertEquals(0, listing.exit(), listing.output());

                // Nothing of the repository, the keyring or the configuration changed.
                assertEquals(repoBefore, snapshot(repo).entrySet().stream().filter(e -> repoBefore.containsKey(e.getKey()))
                        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new)));
                assertEquals(etcBefore, snapshot(etc));

                // A legitimate restore through a link to a fresh directory still works, and the row is there.
                Path fresh = PostgresCluster.postgresDirectory(workspace.resolve("fresh"));
                Files.createSymbolicLink(links.resolve("lnfresh"), fresh);
                RunningAgent.ClientRun restore = RunningAgent.run(socket, Map.of("WALDEN_CLIENT", walden.toString()), dir, "restore",
                        "--pgdata", links.resolve("lnfresh").toString(), "--target", "immediate", "--target-action", "promote");
                assertEquals(0, restore.exitCode(), restore.stderr());
                assertTrue((restore.stdout() + restore.stderr()).contains(fresh.toRealPath().toString()),
                        "judged and written where the link points: " + restore.stdout() + restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(fresh, workspace, 55492)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("the row", copy.sql("SELECT v FROM kept"));
                }
            } finally {
                agent.close();
            }

            // 4. An agent with another keyring refuses to start, naming both keys, and archives nothing.
            Path otherEtc = Files.createDirectories(dir.resolve("other-etc"));
            KeyringFile.addKey(otherEtc.resolve("keyring"), Optional.of("k-wrong"), true, false, new SecureRandom());
            Map<Path, Long> repoBefore = snapshot(repo);
            RepositoryFormatException wrong = assertThrows(RepositoryFormatException.class,
                    () -> startFromConfigFile(otherEtc, agentDirectory, options).close());
            assertTrue(wrong.getMessage().contains("k-wrong") && wrong.getMessage().contains("k-right"), wrong.getMessage());
            assertEquals(repoBefore, snapshot(repo), "the refused agent wrote nothing");
        }
    }

    @Test
    void damageToOneBackupStaysWithItAndNothingWholeIsDeleted() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "damage", 55493);
             RunningAgent agent = RunningAgent.start(dir.resolve("agent"), primary.agentOptions())) {
            Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
            primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
            primary.start();
            primary.sql("CREATE TABLE t (v int); INSERT INTO t SELECT generate_series(1, 1000)");
            assertEquals(0, agent.client(dir, "backup").exitCode());
            primary.sql("INSERT INTO t VALUES (1001)");
            assertEquals(0, agent.client(dir, "backup", "--type", "incr").exitCode());
            JsonNode listed = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
            String full = listed.get(0).get("id").asText();
            String incr = listed.get(1).get("id").asText();
            String sys = primary.sql("SELECT system_identifier FROM pg_control_system()");
            Path backups = agent.repository().resolve(sys + "/backup");

            // 12. The full's commit record is lost: the chain is reported, never treated as a leftover.
            Files.delete(backups.resolve(full + "/commit"));
            long fullObjects = countFiles(backups.resolve(full));
            JsonNode damaged = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
            assertEquals("uncommitted", status(damaged, full), damaged.toString());
            assertEquals("unusable", status(damaged, incr), damaged.toString());
            RunningAgent.ClientRun next = agent.client(dir, "backup", "--type", "incr");
            assertEquals(0, next.exitCode(), next.stderr());
            assertTrue(next.stderr().contains("taking a full backup instead"), "never an incremental on a broken chain: " + next.stderr());
            assertEquals(fullObjects, countFiles(backups.resolve(full)), "the uncommitted backup's objects were kept");
            RunningAgent.ClientRun verify = agent.client(dir, "verify", "--quick");
            assertEquals(1, verify.exitCode(), verify.stdout() + verify.stderr());
            assertTrue((verify.stdout() + verify.stderr()).contains(full), verify.stdout() + verify.stderr());
            RunningAgent.ClientRun commit = agent.client(dir, "backup", "commit", full);
            assertEquals(0, commit.exitCode(), commit.stderr());
            JsonNode recommitted = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
            assertEquals("complete", status(recommitted, full));
            assertEquals("complete", status(recommitted, incr), "the chain is whole again");

            // 13. One damaged commit record: that backup (and what builds on it) is reported; the others stay usable.
            Path incrCommit = backups.resolve(incr + "/commit");
            byte[] bytes = Files.readAllBytes(incrCommit);
            bytes[bytes.length / 2] ^= 0x55;
            Files.write(incrCommit, bytes);
            RunningAgent.ClientRun list = agent.client(dir, "backup", "list", "--json");
            assertEquals(0, list.exitCode(), list.stderr());
            JsonNode afterDamage = JSON.readTree(list.stdout());
            assertEquals("unusable", status(afterDamage, incr));
            assertEquals("complete", status(afterDamage, full));
            RunningAgent.ClientRun status = agent.client(dir, "status");
            assertFalse(status.stdout().contains("last full none"), status.stdout());
            Path restored = PostgresCluster.postgresDirectory(workspace.resolve("from-full"));
            RunningAgent.ClientRun restore = agent.client(Map.of("WALDEN_CLIENT", walden.toString()), dir, "restore", "--pgdata",
                    restored.toString(), "--backup", full, "--target", "immediate", "--target-action", "promote");
            assertEquals(0, restore.exitCode(), restore.stderr());
            try (PostgresCluster copy = PostgresCluster.restored(restored, workspace, 55494)) {
                copy.start();
                copy.awaitPromoted(Duration.ofSeconds(120));
                assertEquals("1000", copy.sql("SELECT count(*) FROM t"));
            }

            // 5. A history file PostgreSQL could not have written is refused, and so is a link.
            Path walDir = primary.dataDirectory().resolve("pg_wal");
            Path garbage = Files.writeString(walDir.resolve("00000002.history"), "garbage line\n");
            RunningAgent.ClientRun push = agent.client(dir, "push", garbage.toString(), "00000002.history");
            assertNotEquals(0, push.exitCode(), push.stderr());
            Files.delete(garbage);
            Path link = Files.createSymbolicLink(walDir.resolve("0000000A.history"), dir.resolve("agent/walden.sock"));
            assertNotEquals(0, agent.client(dir, "push", link.toString(), "0000000A.history").exitCode());
            Files.delete(link);
            assertFalse(agent.storage().exists(sys + "/wal/00000002/00000002.history"));
        }
    }

    private static String status(JsonNode listing, String id) {
        for (JsonNode node : listing) {
            if (node.get("id").asText().equals(id)) {
                return node.get("status").asText();
            }
        }
        return "absent";
    }

    private static long countFiles(Path directory) throws Exception {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    record ProcessResult(int exit, String output) {}

    private static ProcessResult runAs(String user, String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("runuser", "-u", user, "--"));
        full.addAll(List.of(command));
        Process process = new ProcessBuilder(full).redirectErrorStream(true).directory(Path.of("/").toFile()).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new ProcessResult(process.exitValue(), output);
    }
}
