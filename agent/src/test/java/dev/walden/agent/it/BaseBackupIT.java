package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * walden backup and walden restore against a real PostgreSQL 15 under pgbench load, into a local directory and
 * into s3proxy, encrypted and not: a full backup and an incremental on it (with a tablespace), then a restore of
 * the latest state through the chain, whose pg_dumpall equals the primary's, and a restore to a time, which holds
 * exactly the rows committed before it and passes pg_amcheck --heapallindexed.
 */
class BaseBackupIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @ParameterizedTest(name = "repo-type = {0}, encrypted = {1}")
    @CsvSource({"local, false", "local, true", "s3, true", "s3, false"})
    void backsUpUnderLoadAndRestoresTheLatestStateAndAPointInTime(String repoType, boolean encrypted) throws Exception {
        Assumptions.assumeTrue(PostgresCluster.available(), "PostgreSQL 15 is not installed");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path workspace = PostgresCluster.workspace(dir);
        int port = 55460 + (repoType.equals("s3") ? 2 : 0) + (encrypted ? 1 : 0);
        PostgresCluster primary = PostgresCluster.initdb(workspace, "primary", port);
        Map<String, String> options = new HashMap<>(Map.of("allowed-users", "postgres",
                "pg-data", primary.dataDirectory().toString(), "pg-host", workspace.toString(), "pg-port", Integer.toString(port),
                "pg-user", "postgres", "backup-archive-timeout", "60", "backup-bundle-mib", "1", "backup-bundle-file-kib", "64"));
        if (encrypted) {
            Path keyring = dir.resolve("keyring");
            KeyringFile.addKey(keyring, Optional.empty(), true, false, new SecureRandom());
            options.put("keyring-path", keyring.toString());
        } else if (repoType.equals("s3")) {
            options.put("encryption", "off");
        }
        S3ProxyServer s3 = null;
        if (repoType.equals("s3")) {
            s3 = S3ProxyServer.start();
            s3.createBucket("backups");
            options.putAll(s3.agentOptions("backups", "db1"));
        }
        try (AutoCloseable server = s3; RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options); primary) {
            Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
            Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
            primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\narchive_timeout = 0\n");
            primary.start();
            Path tablespace = PostgresCluster.postgresDirectory(workspace.resolve("ts-primary"));
            primary.sql("CREATE TABLESPACE ts LOCATION '" + tablespace + "'");
            primary.sql("CREATE TABLE marks (id int PRIMARY KEY, note text NOT NULL)");
            primary.sql("CREATE TABLE spaced (id int PRIMARY KEY, payload text) TABLESPACE ts");
            primary.sql("INSERT INTO spaced SELECT g, md5(g::text) FROM generate_series(1, 1000) g");
            primary.tool("pgbench", "-i", "-s", "2", "-q", "postgres");
            String tablespaceOid = primary.sql("SELECT oid FROM pg_tablespace WHERE spcname = 'ts'");

            Process load = primary.startTool(dir.resolve("pgbench.log"), "pgbench", "-T", "8", "-c", "2", "-n", "postgres");
            RunningAgent.ClientRun full = agent.client(env, dir, "backup", "--type", "full", "--json");
            assertEquals(0, full.exitCode(), full.stderr() + full.stdout());
            JsonNode fullBackup = JSON.readTree(full.stdout());
            assertEquals("complete", fullBackup.get("status").asText());
            assertEquals("full", fullBackup.get("type").asText());
            assertTrue(fullBackup.get("parent").isNull());

            primary.sql("INSERT INTO marks VALUES (1, 'before-1')");
            primary.sql("INSERT INTO marks VALUES (2, 'before-2')");
            Thread.sleep(100);
            String target = primary.sql("SELECT clock_timestamp()");
            Thread.sleep(100);
            primary.sql("INSERT INTO marks VALUES (3, 'after-target')");
            assertEquals(0, load.waitFor(), Files.readString(dir.resolve("pgbench.log")));

            RunningAgent.ClientRun incr = agent.client(env, dir, "backup", "--type", "incr", "--json");
            assertEquals(0, incr.exitCode(), incr.stderr() + incr.stdout());
            JsonNode incremental = JSON.readTree(incr.stdout());
            assertEquals("incr", incremental.get("type").asText());
            assertEquals(fullBackup.get("id").asText(), incremental.get("parent").asText());
            // pgbench rewrote most of its tables meanwhile; the files it did not touch are re-used from the full backup.
            assertTrue(incremental.get("stored_bytes").asLong() < fullBackup.get("stored_bytes").asLong(),
                    "the incremental stores less than the full: " + incremental + " vs " + fullBackup);
            assertEquals(2, incremental.get("references").size(), "it needs the full backup: " + incremental);

            primary.sql("INSERT INTO marks VALUES (4, 'after-incremental')");
            primary.sql("UPDATE spaced SET payload = 'changed' WHERE id <= 10");
            switchAndAwaitArchived(primary);
            String expected = dump(primary);

            JsonNode listed = JSON.readTree(agent.client(env, dir, "backup", "list", "--json").stdout());
            assertEquals(2, listed.size(), listed.toString());
            for (String field : new String[] {"id", "type", "parent", "status", "started", "stopped", "start_lsn", "stop_lsn",
                    "timeline", "bytes", "stored_bytes", "pg_version", "system_identifier"}) {
                assertTrue(listed.get(1).has(field), "backup list --json has " + field + ": " + listed.get(1));
            }

            JsonNode shown = JSON.readTree(agent.client(env, dir, "backup", "show", incremental.get("id").asText(), "--json").stdout());
            assertEquals(incremental.get("start_lsn"), shown.get("start_lsn"));
            assertTrue(shown.get("wal_required").get("first").asText().matches("[0-9A-F]{24}"), shown.toString());
            assertEquals(tablespaceOid, shown.get("tablespaces").get(0).get("oid").asText(), "show names the tablespace OIDs");
            assertTrue(shown.get("recovery_window").get("to_segment").asText().compareTo(shown.get("wal_required").get("last").asText()) >= 0,
                    shown.toString());

            // The latest state, through full + incremental.
            Path latestData = workspace.resolve("latest");
            Path latestTablespace = workspace.resolve("ts-latest");
            RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", latestData.toString(),
                    "--tablespace-map", tablespaceOid + "=" + latestTablespace);
            assertEquals(0, restore.exitCode(), restore.stderr() + restore.stdout());
            assertTrue(restore.stderr().contains(incremental.get("id").asText()), "says which backup it chose: " + restore.stderr());
            try (PostgresCluster latest = PostgresCluster.restored(latestData, workspace, port + 10)) {
                latest.start();
                latest.awaitPromoted(Duration.ofSeconds(120));
                String actual = dump(latest).replace(latestTablespace.toString(), tablespace.toString());
                assertEquals(expected, actual, "the restored cluster's pg_dumpall equals the primary's");
            }

            // A point in time, from the full backup (the incremental ended after the target).
            Path pitrData = workspace.resolve("pitr");
            RunningAgent.ClientRun pitr = agent.client(env, dir, "restore", "--pgdata", pitrData.toString(),
                    "--target-time", target, "--target-action", "promote", "--tablespace-map", tablespaceOid + "=" + workspace.resolve("ts-pitr"));
            assertEquals(0, pitr.exitCode(), pitr.stderr() + pitr.stdout());
            assertTrue(pitr.stderr().contains(fullBackup.get("id").asText()), pitr.stderr());
            try (PostgresCluster recovered = PostgresCluster.restored(pitrData, workspace, port + 20)) {
                recovered.start();
                recovered.awaitPromoted(Duration.ofSeconds(120));
                assertEquals("1,2", recovered.sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM marks"),
                        "exactly the rows committed before the target");
                assertEquals("1000", recovered.sql("SELECT count(*) FROM spaced WHERE payload <> 'changed'"));
                recovered.tool("pg_amcheck", "--all", "--heapallindexed", "--install-missing");
            }
        }
    }

    /** pg_dumpall without the random \\restrict keys that pg_dump 15.14 and later put in every dump. */
    static String dump(PostgresCluster cluster) throws Exception {
        return cluster.tool("pg_dumpall", "--no-role-passwords").replaceAll("(?m)^\\\\(un)?restrict .*$", "");
    }

    static void switchAndAwaitArchived(PostgresCluster primary) throws Exception {
        String segment = primary.sql("SELECT pg_walfile_name(pg_switch_wal())");
        primary.await("archiving of " + segment, Duration.ofSeconds(90),
                () -> {
                    String last = primary.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
                    return last != null && last.compareTo(segment) >= 0;
                });
    }
}
