package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.walden.agent.crypto.KeyringFile;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.S3ProxyServer;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * walden dump on a real PostgreSQL 15: two databases and roles dumped and restored (the restored database dumps
 * identically), one table alone, --jobs through a spool file, failures that leave nothing listed, a tampered object
 * refused, and the same through encryption and S3.
 */
class DumpIT extends ClusterTest {
    static final ObjectMapper JSON = new ObjectMapper();


    Map<String, String> options(PostgresCluster cluster) {
        return cluster.agentOptions("dump-exclude", "cache");
    }

    static void fill(PostgresCluster primary) throws Exception {
        primary.sql("CREATE ROLE shopkeeper LOGIN PASSWORD 'x'");
        primary.sql("CREATE DATABASE shop OWNER shopkeeper");
        primary.sql("CREATE DATABASE cache");
        primary.tool("psql", "-q", "-d", "shop", "-c", """
                CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
                CREATE TABLE orders (id serial PRIMARY KEY, customer int REFERENCES customers, total numeric(10,2), placed timestamptz DEFAULT '2026-12-01');
                INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;
                INSERT INTO orders (customer, total) SELECT 1 + g % 500, g * 1.25 FROM generate_series(1, 20000) g;
                CREATE INDEX orders_customer ON orders (customer);
                CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
                ALTER TABLE orders OWNER TO shopkeeper;
                """);
        primary.tool("pgbench", "-i", "-s", "1", "-q", "postgres");
    }

    /** A plain dump, without the random \\restrict key that pg_dump 15.14 and later write into every dump. */
    static String plainDump(PostgresCluster cluster, String database) throws Exception {
        return cluster.tool("pg_dump", "--no-owner", "-d", database).replaceAll("(?m)^\\\\(un)?restrict .*$", "");
    }

    static String id(JsonNode dumps, String database) {
        for (JsonNode d : dumps) {
            if (database == null ? d.get("database").isNull() : database.equals(d.get("database").asText(null))) {
                return d.get("id").asText();
            }
        }
        throw new AssertionError("no dump of " + database + " in " + dumps);
    }

    @Test
    void databasesAndRolesAreDumpedAndRestoreIdentically() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "dumped", 55451);
             RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options(primary))) {
            primary.start();
            fill(primary);
            RunningAgent.ClientRun run = agent.client(dir, "dump", "--json");
            assertEquals(0, run.exitCode(), run.stderr());
            JsonNode dumps = JSON.readTree(run.stdout());
            assertEquals(3, dumps.size(), "postgres, shop and the globals; cache is excluded: " + dumps);
            String shop = id(dumps, "shop");
            JsonNode listed = JSON.readTree(agent.client(dir, "dump", "list", "--json").stdout());
            for (JsonNode d : listed) {
                assertEquals("complete", d.get("status").asText());
                for (String field : new String[] {"id", "database", "started", "stopped", "bytes", "stored_bytes"}) {
                    assertTrue(d.has(field), field + " in " + d);
                }
                if (!d.get("database").isNull()) {
                    assertTrue(d.get("toc_entries").asInt() > 3, d.toString());
                }
            }
            assertEquals(1, JSON.readTree(agent.client(dir, "dump", "list", "--database", "shop", "--json").stdout()).size());

            // The whole database, into a new one: dumped again, it is identical.
            RunningAgent.ClientRun restore = agent.client(dir, "dump", "restore", shop, "--database", "shop_copy", "--create");
            assertEquals(0, restore.exitCode(), restore.stderr());
            assertEquals(plainDump(primary, "shop"), plainDump(primary, "shop_copy"));
            RunningAgent.ClientRun again = agent.client(dir, "dump", "restore", shop, "--database", "shop_copy", "--create");
            assertEquals(1, again.exitCode());
            assertTrue(again.stderr().contains("already exists"), again.stderr());

            // One table on its own.
            primary.sql("CREATE DATABASE one_table");
            RunningAgent.ClientRun table = agent.client(dir, "dump", "restore", shop, "--database", "one_table", "--table", "customers");
            assertEquals(0, table.exitCode(), table.stderr());
            assertEquals("500", primary.tool("psql", "-Atq", "-d", "one_table", "-c", "SELECT count(*) FROM customers").strip());
            assertEquals("customers", primary.tool("psql", "-Atq", "-d", "one_table", "-c",
                    "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'").strip());
            // A table the dump does not hold is an error that names what it holds, and nothing is restored.
            RunningAgent.ClientRun missing = agent.client(dir, "dump", "restore", shop, "--database", "no_table", "--create",
                    "--table", "nosuchtable");
            assertEquals(1, missing.exitCode(), missing.stderr());
            assertTrue(missing.stderr().contains("holds no table nosuchtable") && missing.stderr().contains("customers"), missing.stderr());
            assertEquals("0", primary.sql("SELECT count(*) FROM pg_database WHERE datname = 'no_table'"), "no database was created");

            // Parallel restore through a spool file, which is removed afterwards.
            RunningAgent.ClientRun parallel = agent.client(dir, "dump", "restore", id(dumps, "postgres"), "--database", "bench_copy",
                    "--create", "--jobs", "2");
            assertEquals(0, parallel.exitCode(), parallel.stderr());
            assertEquals(plainDump(primary, "postgres"), plainDump(primary, "bench_copy"));
            try (Stream<Path> spool = Files.list(dir.resolve("agent/spool"))) {
                assertTrue(spool.noneMatch(p -> p.getFileName().toString().startsWith("dump-")), "the spool file is removed");
            }

            // The plain file, for pg_restore by hand; and the globals restore the roles.
            Path file = dir.resolve("shop.dump");
            assertEquals(0, agent.client(dir, "dump", "get", shop, "--to", file.toString()).exitCode());
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                    "a whole database is readable by its owner only");
            // The file belongs to the agent's user (root here); handed to postgres as a DBA would.
            Files.setOwner(file, file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
            assertTrue(primary.tool("pg_restore", "--list", file.toString()).contains("TABLE public orders"));
            assertEquals(1, agent.client(dir, "dump", "get", shop, "--to", file.toString()).exitCode(), "never overwrites");
            primary.sql("DROP DATABASE shop_copy");
            primary.sql("DROP DATABASE shop");
            primary.sql("DROP ROLE shopkeeper");
            RunningAgent.ClientRun roles = agent.client(dir, "dump", "restore", id(dumps, null), "--database", "postgres");
            assertEquals(0, roles.exitCode(), roles.stderr());
            assertEquals("1", primary.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'shopkeeper'"));
        }
    }

    @Test
    void aFailingPgDumpIsAnErrorAndLeavesNothingListedAndATamperedDumpIsRefused() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "failing", 55452);
             RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options(primary))) {
            primary.start();
            fill(primary);
            RunningAgent.ClientRun missing = agent.client(dir, "dump", "--database", "nosuchdb", "--json");
            assertEquals(1, missing.exitCode());
            assertTrue(missing.stderr().contains("nosuchdb") && missing.stderr().contains("does not exist"), missing.stderr());
            JsonNode listed = JSON.readTree(agent.client(dir, "dump", "list", "--json").stdout());
            for (JsonNode d : listed) {
                assertFalse("nosuchdb".equals(d.path("database").asText()), listed.toString());
            }

            // A role that may not read a table: pg_dump fails with a permission error.
            primary.sql("CREATE ROLE reader LOGIN");
            primary.tool("psql", "-q", "-d", "shop", "-c", "REVOKE ALL ON orders FROM PUBLIC");
            Map<String, String> asReader = options(primary);
            asReader.put("pg-user", "reader");
            try (RunningAgent limited = RunningAgent.start(dir.resolve("reader-agent"), asReader)) {
                RunningAgent.ClientRun denied = limited.client(dir, "dump", "--database", "shop");
                assertEquals(1, denied.exitCode());
                assertTrue(denied.stderr().contains("permission denied"), denied.stderr());
                JsonNode none = JSON.readTree(limited.client(dir, "dump", "list", "--json").stdout());
                for (JsonNode d : none) {
                    assertFalse("shop".equals(d.path("database").asText()) && "complete".equals(d.path("status").asText()), none.toString());
                }
            }

            RunningAgent.ClientRun good = agent.client(dir, "dump", "--database", "shop", "--json");
            assertEquals(0, good.exitCode(), good.stderr());
            String shop = id(JSON.readTree(good.stdout()), "shop");
            String system = primary.sql("SELECT system_identifier FROM pg_control_system()");
            Path object = agent.repository().resolve(system + "/dump/" + shop + "/data");
            try (RandomAccessFile f = new RandomAccessFile(object.toFile(), "rw")) {
                f.seek(f.length() / 2);
                int b = f.read();
                f.seek(f.length() / 2);
                f.write(b ^ 0x01);
            }
            RunningAgent.ClientRun verify = agent.client(dir, "verify", "--json");
            assertEquals(1, verify.exitCode(), verify.stdout());
            assertTrue(verify.stdout().contains("object-damaged") && verify.stdout().contains(shop + "/data"), verify.stdout());
            RunningAgent.ClientRun refused = agent.client(dir, "dump", "restore", shop, "--database", "tampered", "--create");
            assertEquals(1, refused.exitCode());
            assertTrue(refused.stderr().contains("damaged") && refused.stderr().contains("nothing was restored"), refused.stderr());
            assertEquals("0", primary.sql("SELECT count(*) FROM pg_database WHERE datname = 'tampered'"), "no database was created");
            RunningAgent.ClientRun notWritten = agent.client(dir, "dump", "get", shop, "--to", dir.resolve("t.dump").toString());
            assertEquals(1, notWritten.exitCode());
            assertFalse(Files.exists(dir.resolve("t.dump")), "nothing is written from a damaged dump");
        }
    }

    @Test
    void dumpsPassThroughEncryptionAndS3() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start();
             PostgresCluster primary = PostgresCluster.initdb(workspace, "s3dump", 55453)) {
            s3.createBucket("dumps");
            Path keyring = dir.resolve("keyring");
            KeyringFile.addKey(keyring, Optional.empty(), true, false, new SecureRandom());
            Map<String, String> options = options(primary);
            options.putAll(s3.agentOptions("dumps", "main"));
            options.put("keyring-path", keyring.toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                primary.start();
                fill(primary);
                RunningAgent.ClientRun run = agent.client(dir, "dump", "--database", "shop", "--json");
                assertEquals(0, run.exitCode(), run.stderr());
                String shop = id(JSON.readTree(run.stdout()), "shop");
                assertEquals(0, agent.client(dir, "dump", "restore", shop, "--database", "shop_s3", "--create").exitCode());
                assertEquals(plainDump(primary, "shop"), plainDump(primary, "shop_s3"));
                String system = primary.sql("SELECT system_identifier FROM pg_control_system()");
                assertTrue(agent.storage().exists(system + "/dump/" + shop + "/data"), "the dump is in the bucket");
            }
        }
    }
}
