package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.PostgresVersion;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Incrementals from WAL summaries (PostgreSQL 17 and later, summarize_wal = on): a large table changed in a few rows
 * is backed up by reading only the blocks WAL changed, twice in a chain; the chain restores to exactly the table's
 * contents, verify finds it whole, and an incremental without summaries says why it compares files instead.
 */
class WalSummaryIT extends ClusterTest {
    static final String CONTENTS = "SELECT md5(string_agg(id || ':' || pad, ',' ORDER BY id)) FROM big";

    static Stream<PostgresVersion> versions() {
        return PostgresVersion.all().stream().filter(v -> v.major() >= 17);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void anIncrementalReadsTheBlocksWalChangedAndRestoresExactly(PostgresVersion version) throws Exception {
        Assumptions.assumeTrue(version.available(), version.missing());
        try (PostgresCluster primary = PostgresCluster.initdb(version, workspace, "summaries", 55800 + version.major());
             RunningAgent agent = RunningAgent.start(dir.resolve("agent"), primary.agentOptions("backup-bundle-file-kib", "256"))) {
            Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
            Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
            primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\nsummarize_wal = off\n");
            primary.start();
            primary.sql("CREATE TABLE big (id int PRIMARY KEY, pad text); INSERT INTO big SELECT i, repeat('x', 200) FROM generate_series(1, 100000) i");
            JsonNode full = backup(agent, env, "--type", "full");

            primary.sql("UPDATE big SET pad = 'first' WHERE id % 20000 = 0");
            RunningAgent.ClientRun without = agent.client(env, dir, "backup", "--type", "incr");
            assertEquals(0, without.exitCode(), without.stderr());
            assertTrue(without.stderr().contains("summarize_wal is off"), "says why it compares files: " + without.stderr());

            primary.sql("ALTER SYSTEM SET summarize_wal = on");
            primary.sql("SELECT pg_reload_conf()");
            primary.await("the WAL summarizer runs", Duration.ofSeconds(60),
                    () -> !primary.trySql("SELECT summarized_lsn FROM pg_get_wal_summarizer_state()").startsWith("0/0"));
            JsonNode base = backup(agent, env, "--type", "full");  // summaries cover what follows it

            primary.sql("UPDATE big SET pad = 'second' WHERE id % 25000 = 0; INSERT INTO big VALUES (100001, 'appended')");
            RunningAgent.ClientRun first = agent.client(env, dir, "backup", "--type", "incr", "--json");
            assertEquals(0, first.exitCode(), first.stderr());
            assertTrue(first.stderr().contains("WAL summaries cover"), "the summaries were used: " + first.stderr());
            JsonNode incr1 = new com.fasterxml.jackson.databind.ObjectMapper().readTree(first.stdout());
            assertEquals(base.path("id").asText(), incr1.path("parent").asText());
            assertTrue(incr1.path("stored_bytes").asLong() < base.path("stored_bytes").asLong() / 4,
                    "only changed blocks stored: " + incr1 + " vs " + base);

            primary.sql("UPDATE big SET pad = 'third' WHERE id IN (3, 50000, 99999); DELETE FROM big WHERE id = 7");
            String expected = primary.sql(CONTENTS);
            JsonNode incr2 = backup(agent, env, "--type", "incr");
            assertEquals(incr1.path("id").asText(), incr2.path("parent").asText());

            RunningAgent.ClientRun verify = agent.client(env, dir, "verify", "--all");
            assertEquals(0, verify.exitCode(), verify.stdout() + verify.stderr());
            Path target = PostgresCluster.postgresDirectory(workspace.resolve("summaries-restored"));
            RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--backup",
                    incr2.path("id").asText());
            assertEquals(0, restore.exitCode(), restore.stderr());
            try (PostgresCluster copy = PostgresCluster.restored(version, target, workspace, 55810 + version.major())) {
                copy.appendConfig("summarize_wal = off\n");
                copy.start();
                copy.awaitPromoted(Duration.ofSeconds(120));
                assertEquals(expected, copy.sql(CONTENTS), "the table as it was at the second incremental");
                assertEquals("1", copy.sql("SELECT count(*) FROM big WHERE pad = 'appended'"));
            }
            assertTrue(full.path("stored_bytes").asLong() > 0);
        }
    }

    private JsonNode backup(RunningAgent agent, Map<String, String> env, String... options) throws Exception {
        String[] args = new String[options.length + 1];
        args[0] = "backup";
        System.arraycopy(options, 0, args, 1, options.length);
        return RunningAgent.json(agent.socket(), env, dir, args);
    }
}
