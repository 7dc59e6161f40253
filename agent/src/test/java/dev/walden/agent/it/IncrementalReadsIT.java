package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.walden.agent.testing.ClientLauncher;
import dev.walden.agent.testing.ClusterTest;
import dev.walden.agent.testing.PostgresCluster;
import dev.walden.agent.testing.RunningAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import dev.walden.agent.testing.PostgresVersion;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What an incremental reads: a file whose size and modification time the parent recorded (and older than the
 * parent's start) is taken as unchanged without being read; --checksum-all reads and compares every file. Shown with
 * a file rewritten in place and given its old time back, the one case the rule cannot see (docs/runbook.md). On every
 * PostgreSQL major the tests cover: the rule is the agent's, but the backup API around it is each server's.
 */
class IncrementalReadsIT extends ClusterTest {

    static Stream<PostgresVersion> versions() {
        return PostgresVersion.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void sizeAndTimeDecideWhatIsReadAndChecksumAllReadsEverything(PostgresVersion version) throws Exception {
        Assumptions.assumeTrue(version.available(), version.missing());
        try (PostgresCluster primary = PostgresCluster.initdb(version, workspace, "incremental", 55700 + version.major());
             RunningAgent agent = RunningAgent.start(dir.resolve("agent"), primary.agentOptions())) {
            Path walden = ClientLauncher.write(dir.resolve("agent"), agent.socket());
            Map<String, String> env = Map.of("WALDEN_CLIENT", walden.toString());
            primary.appendConfig("archive_mode = on\narchive_command = '" + walden + " push %p %f'\n");
            primary.start();
            Path marker = primary.dataDirectory().resolve("walden-test-marker");
            FileTime old = FileTime.from(Instant.now().minusSeconds(3600));
            Files.writeString(marker, "one");
            Files.setLastModifiedTime(marker, old);
            assertEquals(0, agent.client(env, dir, "backup").exitCode());

            Files.writeString(marker, "two");
            Files.setLastModifiedTime(marker, old);
            String trusting = backup(agent, env, "--type", "incr");
            String reading = backup(agent, env, "--type", "incr", "--checksum-all");

            assertEquals("one", restoredMarker(agent, env, trusting), "same size and time: taken as unchanged, not read");
            assertEquals("two", restoredMarker(agent, env, reading), "--checksum-all reads it and sees the change");
            assertEquals(2, agent.client(env, dir, "backup", "list", "--checksum-all").exitCode(), "only for taking a backup");
        }
    }

    private String backup(RunningAgent agent, Map<String, String> env, String... options) throws Exception {
        String[] args = new String[options.length + 1];
        args[0] = "backup";
        System.arraycopy(options, 0, args, 1, options.length);
        return RunningAgent.json(agent.socket(), env, dir, args).get("id").asText();
    }

    private String restoredMarker(RunningAgent agent, Map<String, String> env, String backup) throws Exception {
        Path target = PostgresCluster.postgresDirectory(workspace.resolve("restored-" + backup));
        RunningAgent.ClientRun restore = agent.client(env, dir, "restore", "--pgdata", target.toString(), "--backup", backup);
        assertEquals(0, restore.exitCode(), restore.stderr());
        return Files.readString(target.resolve("walden-test-marker"));
    }
}
