package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * "Someone deleted rows from students at 14:25; give me students as it was at 14:24, beside the live one": the table
 * comes back with exactly the rows of that moment, under a new name in the live database, while the live table, the
 * database's other tables and the other databases stay as they are; nothing of the other database is restored.
 */
class TableRestoreIT extends ClusterTest {

    @Test
    void aTableAsOfAPointInTimeComesBackBesideTheLiveOne() throws Exception {
        try (PostgresCluster primary = PostgresCluster.initdb(workspace, "live", 55880)) {
            Path drill = dir.resolve("drill");
            Map<String, String> options = primary.agentOptions("drill-path", drill.toString(), "repo-path", dir.resolve("repo").toString());
            try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), options)) {
                Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
                Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
                primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
                primary.start();
                primary.sql("CREATE DATABASE school");
                primary.sql("CREATE DATABASE other");
                primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "other", "-c", "CREATE TABLE noise AS SELECT g, md5(g::text) AS t FROM generate_series(1, 200000) g");
                primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "school", "-c", "CREATE TABLE courses (id int PRIMARY KEY, title text);"
                        + " INSERT INTO courses VALUES (1, 'history');"
                        + " CREATE TABLE students (id serial PRIMARY KEY, name text NOT NULL, course int REFERENCES courses);"
                        + " INSERT INTO students (name, course) SELECT 'student ' || g, 1 FROM generate_series(1, 100) g");
                RunningAgent.ClientRun backup = agent.client(env, dir, "backup");
                assertEquals(0, backup.exitCode(), backup.stderr());
                String beforeBackupEnds = "2000-01-01 00:00:00+00";

                primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "school", "-c", "INSERT INTO students (name, course) SELECT 'late ' || g, 1 FROM generate_series(1, 20) g");
                String target = primary.sql("SELECT clock_timestamp()");
                Thread.sleep(1100);
                primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "school", "-c", "DELETE FROM students WHERE id > 50");
                String switched = primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
                primary.sql("SELECT pg_switch_wal()");
                primary.await("the delete to be archived", Duration.ofSeconds(60), () -> {
                    String last = primary.trySql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
                    return last != null && last.length() >= 24 && last.substring(0, 24).compareTo(switched) >= 0;
                });

                RunningAgent.ClientRun restore = agent.client(env, dir, "restore-table", "--table", "public.students", "--database", "school",
                        "--target-time", target, "--json");
                assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
                JsonNode report = RetentionIT.JSON.readTree(restore.stdout());
                String restoredAs = report.path("tables").get(0).path("restored_as").asText();
                assertTrue(restoredAs.startsWith("public.students_restored_"), report.toString());
                assertEquals(120, report.path("tables").get(0).path("rows").asLong(), report.toString());
                assertTrue(report.path("other_database_files_left_empty").asLong() > 0, "database other was not restored: " + report);
                assertTrue(report.path("foreign_keys_not_restored").toString().contains("students_course_fkey"), report.toString());

                assertEquals("120", primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "school", "-At", "-c", "SELECT count(*) FROM " + restoredAs).strip(),
                        "exactly the rows of the target time");
                assertEquals("50", primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "school", "-At", "-c", "SELECT count(*) FROM students").strip(),
                        "the live table is untouched");
                assertEquals("1", primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "school", "-At", "-c", "SELECT count(*) FROM courses").strip());
                assertEquals("200000", primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "other", "-At", "-c", "SELECT count(*) FROM noise").strip());
                try (Stream<Path> left = Files.list(drill)) {
                    assertEquals(0, left.count(), "the scratch cluster is removed");
                }

                RunningAgent.ClientRun missing = agent.client(env, dir, "restore-table", "--table", "public.nope", "--database", "school",
                        "--target-time", target);
                assertEquals(1, missing.exitCode());
                assertTrue((missing.stdout() + missing.stderr()).contains("did not exist"), missing.stdout() + missing.stderr());
                RunningAgent.ClientRun tooEarly = agent.client(env, dir, "restore-table", "--table", "public.students", "--database", "school",
                        "--target-time", beforeBackupEnds);
                assertEquals(1, tooEarly.exitCode(), tooEarly.stdout() + tooEarly.stderr());

                // --replace: the live table itself, in one transaction.
                RunningAgent.ClientRun replace = agent.client(env, dir, "restore-table", "--table", "public.students", "--database", "school",
                        "--target-time", target, "--replace");
                assertEquals(0, replace.exitCode(), replace.stdout() + replace.stderr());
                assertEquals("120", primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "school", "-At", "-c", "SELECT count(*) FROM students").strip());

                // A drill-path too small for the global catalog, the templates and the database: refused before anything is written.
                Map<String, String> small = new java.util.HashMap<>(options);
                try (dev.walden.agent.testing.SmallDisk disk = dev.walden.agent.testing.SmallDisk.mount(dir.resolve("small"), 8)) {
                    small.put("drill-path", disk.path().toString());
                    try (RunningAgent cramped = RunningAgent.start(dir.resolve("agent-small"), small)) {
                        RunningAgent.ClientRun refused = cramped.client(env, dir, "restore-table", "--table", "public.students",
                                "--database", "school", "--target-time", target);
                        assertEquals(1, refused.exitCode());
                        assertTrue((refused.stdout() + refused.stderr()).contains("free; nothing was written"),
                                refused.stdout() + refused.stderr());
                        assertEquals("120", primary.tool("psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", "school", "-At", "-c",
                                "SELECT count(*) FROM students").strip(), "the live cluster is unchanged");
                    }
                }
            }
        }
    }
}
