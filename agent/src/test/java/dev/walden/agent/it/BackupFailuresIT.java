package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.testing.AgentProcess;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What must never become a complete backup, and what restore refuses: an agent killed mid-backup, WAL that never
 * reaches the archive, a second backup at once, a cluster a backup cannot use; restore into a running cluster's
 * directory, a non-empty one, a tablespace location in use, a target before every backup; and --delta.
 */
class BackupFailuresIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();


    @Test
    void anAgentKilledMidBackupLeavesNothingCompleteAndTheNextBackupWorks() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "killed", 55481)) {
            Map<String, String> options = slowBackupOptions(primary);
            Path agentDirectory = dir.resolve("agent");
            Path repository = agentDirectory.resolve("repo");
            AgentProcess agent = AgentProcess.start(agentDirectory, options);
            Path walden = ClientLauncher.write(agentDirectory, agent.socket());
            archiveAndFill(primary, walden);

            CompletableFuture<RunningAgent.ClientRun> first = CompletableFuture.supplyAsync(
                    () -> RunningAgent.run(agent.socket(), Map.of(), dir, "backup"));
            primary.await("the first data object of the backup", Duration.ofSeconds(60), () -> dataObjects(repository) > 0);
            RunningAgent.ClientRun second = RunningAgent.run(agent.socket(), Map.of(), dir, "backup");
            assertEquals(1, second.exitCode());
            assertTrue(second.stderr().contains("already running"), second.stderr());

            agent.kill();
            assertNotEquals(0, first.get().exitCode(), "the killed backup did not succeed");
            primary.await("PostgreSQL to end the killed agent's backup session", Duration.ofSeconds(30),
                    () -> "0".equals(primary.trySql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'walden-agent'")));

            options.put("backup-compress-level", "2");
            try (AgentProcess restarted = AgentProcess.start(agentDirectory, options)) {
                JsonNode before = JSON.readTree(RunningAgent.run(restarted.socket(), Map.of(), dir, "backup", "list", "--json").stdout());
                assertEquals(1, before.size(), before.toString());
                assertEquals("incomplete", before.get(0).get("status").asText(), "the killed backup is not complete");
                String killedId = before.get(0).get("id").asText();

                RunningAgent.ClientRun next = RunningAgent.run(restarted.socket(), Map.of(), dir, "backup", "--json");
                assertEquals(0, next.exitCode(), next.stderr() + restarted.log());
                JsonNode after = JSON.readTree(RunningAgent.run(restarted.socket(), Map.of(), dir, "backup", "list", "--json").stdout());
                assertEquals(1, after.size(), "the leftovers of the killed backup were removed: " + after);
                assertEquals("complete", after.get(0).get("status").asText());
                assertEquals(0, dataObjects(repository.resolve(systemIdentifier(primary) + "/backup/" + killedId)),
                        "no object of the killed backup is left");

                RunningAgent.ClientRun restore = RunningAgent.run(restarted.socket(), Map.of("WALDEN_CLIENT", walden.toString()), dir,
                        "restore", "--pgdata", workspace.resolve("after-kill").toString());
                assertEquals(0, restore.exitCode(), restore.stderr());
                try (PostgresCluster copy = PostgresCluster.restored(workspace.resolve("after-kill"), workspace, 55482)) {
                    copy.start();
                    copy.awaitPromoted(Duration.ofSeconds(120));
                    assertEquals("300000", copy.sql("SELECT count(*) FROM pgbench_accounts"));
                }
            }
        }
    }

    @Test
    void anAgentStoppedMidBackupTellsTheClientAndLogsIt() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "stopped", 55488)) {
            Map<String, String> options = slowBackupOptions(primary);
            Path agentDirectory = dir.resolve("agent");
            AgentProcess agent = AgentProcess.start(agentDirectory, options);
            Path walden = ClientLauncher.write(agentDirectory, agent.socket());
            archiveAndFill(primary, walden);
            CompletableFuture<RunningAgent.ClientRun> backup = CompletableFuture.supplyAsync(
                    () -> RunningAgent.run(agent.socket(), Map.of(), dir, "backup"));
            primary.await("the backup to be under way", Duration.ofSeconds(60), () -> dataObjects(agentDirectory.resolve("repo")) > 0);
            agent.terminate();
            RunningAgent.ClientRun stopped = backup.get();
            assertEquals(1, stopped.exitCode());
            assertTrue(stopped.stderr().contains("the agent is stopping") && stopped.stderr().contains("never offered for restore"),
                    stopped.stderr());
            assertTrue(agent.log().contains("walden-agent stopping") && agent.log().contains("walden-agent stopped"), agent.log());
        }
    }

    @Test
    void aDatabaseThatStopsMidBackupLeavesItIncomplete() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "stopping", 55487)) {
            Map<String, String> options = slowBackupOptions(primary);
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                archiveAndFill(primary, walden);
                CompletableFuture<RunningAgent.ClientRun> backup = CompletableFuture.supplyAsync(() -> agent.client(dir, "backup"));
                primary.await("the backup to be under way", Duration.ofSeconds(60), () -> dataObjects(agent.repository()) > 0);
                primary.stop();
                RunningAgent.ClientRun failed = backup.get();
                assertEquals(1, failed.exitCode());
                assertTrue(failed.stderr().contains("never be offered for restore") || failed.stderr().contains("did PostgreSQL stop"),
                        failed.stderr());
                JsonNode listed = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
                assertEquals("incomplete", listed.get(0).get("status").asText(), listed.toString());
            }
        }
    }

    @Test
    void aBackupWhoseWalNeverReachesTheArchiveNeverBecomesComplete() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "unarchived", 55483)) {
            Map<String, String> options = primary.agentOptions();
            options.put("backup-archive-timeout", "3");
            // PostgreSQL believes every file archived, but nothing reaches Walden.
            primary.appendConfig("archive_mode = on\narchive_command = '/bin/true'\n");
            primary.start();
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                RunningAgent.ClientRun backup = agent.client(dir, "backup");
                assertEquals(1, backup.exitCode());
                assertTrue(backup.stderr().contains("does not mention walden"), "warns about archive_command: " + backup.stderr());
                assertTrue(backup.stderr().contains("did not reach Walden's archive"), backup.stderr());
                assertTrue(backup.stderr().contains("never be offered for restore"), backup.stderr());
                JsonNode listed = JSON.readTree(agent.client(dir, "backup", "list", "--json").stdout());
                assertTrue(Stream.of(listed).flatMap(n -> java.util.stream.StreamSupport.stream(n.spliterator(), false))
                        .noneMatch(b -> b.get("status").asText().equals("complete")), listed.toString());
                RunningAgent.ClientRun restore = agent.client(dir, "restore", "--pgdata", workspace.resolve("never").toString());
                assertEquals(1, restore.exitCode());
                assertTrue(restore.stderr().contains("no complete backup"), restore.stderr());
            }
        }
    }

    @Test
    void aClusterABackupCannotUseIsRefusedWithWhatToFix() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "unready", 55484)) {
            primary.appendConfig("wal_level = minimal\nmax_wal_senders = 0\narchive_mode = off\n");
            primary.start();
            Map<String, String> options = primary.agentOptions();
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                RunningAgent.ClientRun backup = agent.client(dir, "backup");
                assertEquals(1, backup.exitCode());
                assertTrue(backup.stderr().contains("wal_level is minimal"), backup.stderr());
                assertTrue(backup.stderr().contains("archive_mode is off"), backup.stderr());
            }
            options.put("pg-data", workspace.resolve("elsewhere").toString());
            Files.createDirectories(workspace.resolve("elsewhere"));
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent2"), options)) {
                RunningAgent.ClientRun backup = agent.client(dir, "backup");
                assertEquals(1, backup.exitCode());
                assertTrue(backup.stderr().contains("but the cluster at the configured pg-host/pg-port runs in"), backup.stderr());
            }
            primary.sql("CREATE ROLE reader LOGIN");
            primary.sql("GRANT pg_read_all_settings TO reader");
            options.put("pg-data", primary.dataDirectory().toString());
            options.put("pg-user", "reader");
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent3"), options)) {
                RunningAgent.ClientRun backup = agent.client(dir, "backup");
                assertEquals(1, backup.exitCode());
                assertTrue(backup.stderr().contains("pg_backup_start"), backup.stderr());
            }
            options.put("pg-user", "postgres");
            options.put("pg-port", "55499");
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent4"), options)) {
                RunningAgent.ClientRun backup = agent.client(dir, "backup");
                assertEquals(1, backup.exitCode());
                assertTrue(backup.stderr().contains("cannot connect to PostgreSQL"), backup.stderr());
                assertTrue(backup.stderr().contains("HINT"), backup.stderr());
            }
        }
    }

    @Test
    void restoreRefusesWhatWouldDamageAndDeltaReusesWhatMatches() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "source", 55485);
             RunningAgent agent = RunningAgent.start(dir.resolve("agent"), primary.agentOptions())) {
            Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
            Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
            primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
            primary.start();
            String beforeBackups = primary.sql("SELECT clock_timestamp()");
            Path tablespace = PostgresCluster.postgresDirectory(workspace.resolve("ts-source"));
            primary.sql("CREATE TABLESPACE ts LOCATION '" + tablespace + "'");
            primary.sql("CREATE TABLE kept (id int PRIMARY KEY) TABLESPACE ts");
            primary.sql("INSERT INTO kept SELECT generate_series(1, 500)");
            RunningAgent.ClientRun backup = agent.client(env, dir, "backup");
            assertEquals(0, backup.exitCode(), backup.stderr());
            String oid = primary.sql("SELECT oid FROM pg_tablespace WHERE spcname = 'ts'");

            RunningAgent.ClientRun live = agent.client(env, dir, "restore", "--pgdata", primary.dataDirectory().toString(), "--force");
            assertEquals(1, live.exitCode());
            assertTrue(live.stderr().contains("postmaster.pid"), live.stderr());
            assertTrue(Files.exists(primary.dataDirectory().resolve("global/pg_control")), "the live cluster is untouched");

            Path target = PostgresCluster.postgresDirectory(workspace.resolve("restored"));
            Files.writeString(target.resolve("stray"), "x");
            RunningAgent.ClientRun nonEmpty = agent.client(env, dir, "restore", "--pgdata", target.toString(),
                    "--tablespace-map", oid + "=" + workspace.resolve("ts-restored"));
            assertEquals(1, nonEmpty.exitCode());
            assertTrue(nonEmpty.stderr().contains("is not empty") && nonEmpty.stderr().contains("--delta"), nonEmpty.stderr());
            assertTrue(Files.exists(target.resolve("stray")), "nothing was deleted");

            RunningAgent.ClientRun inUse = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("other").toString());
            assertEquals(1, inUse.exitCode());
            assertTrue(inUse.stderr().contains("--tablespace-map " + oid + "="), inUse.stderr());

            RunningAgent.ClientRun early = agent.client(env, dir, "restore", "--pgdata", workspace.resolve("early").toString(),
                    "--target-time", beforeBackups, "--tablespace-map", oid + "=" + workspace.resolve("ts-early"));
            assertEquals(1, early.exitCode());
            assertTrue(early.stderr().contains("earlier than the end of every backup"), early.stderr());

            RunningAgent.ClientRun intoRepository = agent.client(env, dir, "restore", "--pgdata", agent.repository().resolve("x").toString(),
                    "--force", "--tablespace-map", oid + "=" + workspace.resolve("ts-x"));
            assertEquals(1, intoRepository.exitCode());
            assertTrue(intoRepository.stderr().contains("the agent's repository"), intoRepository.stderr());

            RunningAgent.ClientRun unknown = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--backup", "20990101-000000F");
            assertEquals(1, unknown.exitCode());

            RunningAgent.ClientRun usage = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--target-time", "soon");
            assertEquals(2, usage.exitCode());

            RunningAgent.ClientRun forced = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--force",
                    "--tablespace-map", oid + "=" + workspace.resolve("ts-restored"));
            assertEquals(0, forced.exitCode(), forced.stderr());
            assertFalse(Files.exists(target.resolve("stray")), "--force cleared the directory");

            // Damage one file and add one: --delta rewrites the first, removes the second, keeps the rest.
            Path control = target.resolve("global/pg_control");
            Path versionFile = target.resolve("base/1/PG_VERSION");  // the top PG_VERSION names the major: another is refused
            Files.writeString(versionFile, "99\n");
            Files.writeString(target.resolve("base/extra-file"), "not in the backup");
            RunningAgent.ClientRun delta = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--delta",
                    "--tablespace-map", oid + "=" + workspace.resolve("ts-restored"));
            assertEquals(0, delta.exitCode(), delta.stderr());
            assertTrue(delta.stdout().contains("unchanged (--delta)"), delta.stdout());
            assertEquals("15\n", Files.readString(versionFile));
            assertFalse(Files.exists(target.resolve("base/extra-file")));
            assertTrue(Files.exists(control));
            try (PostgresCluster copy = PostgresCluster.restored(target, workspace, 55486)) {
                copy.start();
                copy.awaitPromoted(Duration.ofSeconds(120));
                assertEquals("500", copy.sql("SELECT count(*) FROM kept"));
            }

            // A damaged data object: the restore fails, says which object, and leaves a directory that cannot start.
            Path largest;
            try (Stream<Path> files = Files.walk(agent.repository())) {
                largest = files.filter(p -> p.toString().contains("/data/") && !p.getFileName().toString().startsWith("."))
                        .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(largest);
            bytes[bytes.length / 2] ^= 0x40;
            Files.write(largest, bytes);
            Path damaged = workspace.resolve("from-damaged");
            RunningAgent.ClientRun corrupt = agent.client(env, dir, "restore", "--pgdata", damaged.toString(),
                    "--tablespace-map", oid + "=" + workspace.resolve("ts-damaged"));
            assertEquals(1, corrupt.exitCode());
            assertTrue(corrupt.stderr().contains("cannot be read") && corrupt.stderr().contains("/data/"), corrupt.stderr());
            assertFalse(Files.exists(damaged.resolve("global/pg_control")), "a failed restore can never start");
        }
    }

    /** Agent options that make a backup slow enough to interrupt half-way: zstd level 19 on one thread, small bundles. */
    private static Map<String, String> slowBackupOptions(PostgresCluster primary) {
        Map<String, String> options = primary.agentOptions();
        options.putAll(Map.of("backup-compress-level", "19", "backup-threads", "1", "backup-bundle-mib", "1", "backup-bundle-file-kib", "64"));
        return options;
    }

    /** Starts the cluster archiving through {@code walden}, with pgbench's scale-3 tables to back up. */
    private static void archiveAndFill(PostgresCluster primary, Path walden) throws Exception {
        primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
        primary.start();
        primary.tool("pgbench", "-i", "-s", "3", "-q", "postgres");
    }

    private static long dataObjects(Path repository) {
        try (Stream<Path> files = Files.walk(repository)) {
            return files.filter(p -> p.toString().contains("/backup/") && p.toString().contains("/data/")
                    && !p.getFileName().toString().startsWith(".")).count();
        } catch (Exception e) {
            return 0;
        }
    }

    private static String systemIdentifier(PostgresCluster cluster) throws Exception {
        return cluster.sql("SELECT system_identifier FROM pg_control_system()");
    }
}
