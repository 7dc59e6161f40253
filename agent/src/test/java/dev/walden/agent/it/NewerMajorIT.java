package dev.walden.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.testing.RunningAgent;
import dev.walden.agent.testing.TestSegments;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server upgraded before Walden never stops archiving: a segment whose page magic is of a newer major, its header
 * otherwise sane, is archived with a warning, counted by the metric and named by walden status; garbage is refused.
 */
class NewerMajorIT {
    @TempDir
    Path dir;

    @Test
    void aNewerMajorsWalIsArchivedWarnedCountedAndShown() throws Exception {
        int metricsPort;
        try (ServerSocket free = new ServerSocket(0)) {
            metricsPort = free.getLocalPort();
        }
        try (RunningAgent agent = RunningAgent.start(dir.resolve("agent"), Map.of("metrics-listen", "127.0.0.1:" + metricsPort))) {
            Path data = dir.resolve("data");
            for (int n = 1; n <= 2; n++) {
                String name = String.format("0000000100000000000000%02X", n);
                Path segment = TestSegments.write(data, name, TestSegments.SYSTEM_ID, n);
                byte[] bytes = Files.readAllBytes(segment);
                ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).putShort(0, (short) 0xD11A);
                Files.write(segment, bytes);
                RunningAgent.ClientRun push = agent.client(data, "push", "pg_wal/" + name, name);
                assertEquals(0, push.exitCode(), push.stderr());
            }
            Path garbage = data.resolve("pg_wal/000000010000000000000003");
            Files.write(garbage, new byte[16 << 20]);
            assertNotEquals(0, agent.client(data, "push", "pg_wal/000000010000000000000003", "000000010000000000000003").exitCode());

            RunningAgent.ClientRun status = agent.client(dir, "status");
            assertTrue(status.stdout().contains("newer than Walden knows (page magic 0xd11a)")
                    && status.stdout().contains("has not been tested with that version"), status.stdout());
            HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(scrape.body().contains("walden_archive_untested_major_files_total 2.0"), scrape.body());
        }
    }
}
