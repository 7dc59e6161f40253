package dev.walden.agent.storage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.walden.agent.config.S3Settings;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.storage.StorageFailureException;
import dev.walden.agent.testing.FaultyProxy;
import dev.walden.agent.testing.S3ProxyServer;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/**
 * The SDK's Apache HTTP client against its URLConnection client, behind a proxy that spoils one connection in three:
 * how many puts and reads still succeed (the SDK retried), how many fail as a classified storage failure, and how many
 * escape as something else (a bug, to the DBA). Prints the table recorded in docs/benchmarks.md, and holds the agent's
 * client to it: every fault is retried or classified, never an unexpected exception.
 */
class S3HttpClientIT {
    private static final int OPERATIONS = 24;
    private static final List<FaultyProxy.Mode> FAULTS = List.of(FaultyProxy.Mode.SLOW_DOWN_503, FaultyProxy.Mode.GARBAGE_STATUS,
            FaultyProxy.Mode.TRUNCATED_BODY, FaultyProxy.Mode.RESET, FaultyProxy.Mode.NO_ANSWER);

    record Tally(int ok, int classified, int unexpected, long millis, String example) {}

    @Test
    void apacheRetriesOrClassifiesEveryFaultOfAFlakyStore() throws Exception {
        Map<String, Map<FaultyProxy.Mode, Tally>> results = new LinkedHashMap<>();
        try (S3ProxyServer s3 = S3ProxyServer.start(); FaultyProxy proxy = new FaultyProxy(s3.port())) {
            int bucket = 0;
            for (String client : List.of("apache", "urlconnection")) {
                Map<FaultyProxy.Mode, Tally> row = new LinkedHashMap<>();
                for (FaultyProxy.Mode fault : FAULTS) {
                    String name = "clients-" + bucket++;
                    s3.createBucket(name);
                    proxy.set(FaultyProxy.Mode.PASS, 0);
                    proxy.everyNth(3);
                    proxy.set(fault, 0);
                    try (Storage storage = new dev.walden.agent.storage.ClassifiedStorage(S3Storage.open(settings(name, proxy.port()),
                            http(client)), new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()))) {
                        row.put(fault, run(storage));
                    }
                }
                results.put(client, row);
            }
            proxy.everyNth(1);
        }
        StringBuilder table = new StringBuilder("| fault, 1 connection in 3 | client | put + read back ok | classified failure | unexpected exception | time |\n"
                + "|---|---|---|---|---|---|\n");
        for (FaultyProxy.Mode fault : FAULTS) {
            results.forEach((client, row) -> {
                Tally t = row.get(fault);
                table.append("| ").append(fault.name().toLowerCase().replace('_', ' ')).append(" | ").append(client).append(" | ")
                        .append(t.ok()).append(" / ").append(OPERATIONS).append(" | ").append(t.classified()).append(" | ")
                        .append(t.unexpected()).append(t.example().isEmpty() ? "" : " (" + t.example() + ")").append(" | ")
                        .append(t.millis()).append(" ms |\n");
            });
        }
        System.out.println("S3 HTTP clients behind a flaky proxy (OPERATIONS=" + OPERATIONS + ", s3-max-attempts 4, s3-timeout 6):\n" + table);
        for (FaultyProxy.Mode fault : FAULTS) {
            assertEquals(0, results.get("apache").get(fault).unexpected(), fault + ": the agent's client never lets a fault escape as a bug\n" + table);
            assertEquals(OPERATIONS, results.get("apache").get(fault).ok(), fault + ": retried within s3-timeout\n" + table);
        }
    }

    @Test
    void anUnknownHostAndAFailedTlsHandshakeAreNamedWithWhatToCheck() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            s3.createBucket("names");
            S3Settings unknownHost = new S3Settings("names", "walden", "us-east-1", Optional.of(URI.create("http://no-such-host.invalid:9000")),
                    true, Optional.of(S3ProxyServer.ACCESS_KEY), Optional.of(S3ProxyServer.SECRET_KEY), Optional.empty(), true, 2, 5, 16);
            S3Settings plainPortOverTls = new S3Settings("names", "walden", "us-east-1", Optional.of(URI.create("https://127.0.0.1:" + s3.port())),
                    true, Optional.of(S3ProxyServer.ACCESS_KEY), Optional.of(S3ProxyServer.SECRET_KEY), Optional.empty(), true, 2, 5, 16);
            for (var named : Map.of(unknownHost, "does not resolve", plainPortOverTls, "TLS with the endpoint failed").entrySet()) {
                try (S3Storage storage = S3Storage.open(named.getKey())) {
                    StorageFailureException e = org.junit.jupiter.api.Assertions.assertThrows(StorageFailureException.class,
                            () -> storage.putIfAbsent("k", out -> out.write(1)));
                    assertEquals(StorageFailureException.Kind.UNAVAILABLE, e.kind(), e.getMessage());
                    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(named.getValue()), e.getMessage());
                }
            }
        }
    }

    private static Tally run(Storage storage) {
        Random random = new Random(7);
        int ok = 0;
        int classified = 0;
        int unexpected = 0;
        String example = "";
        long started = System.nanoTime();
        for (int i = 0; i < OPERATIONS; i++) {
            byte[] bytes = new byte[32 * 1024];
            random.nextBytes(bytes);
            String key = "object-" + i;
            try {
                storage.putIfAbsent(key, out -> out.write(bytes));
                byte[] read;
                try (InputStream in = storage.open(key)) {
                    read = in.readAllBytes();
                }
                if (Arrays.equals(bytes, read)) {
                    ok++;
                } else {
                    unexpected++;
                    example = "bytes differ";
                }
            } catch (StorageFailureException e) {
                classified++;
            } catch (Exception | Error e) {
                unexpected++;
                example = e.getClass().getSimpleName();
            }
        }
        return new Tally(ok, classified, unexpected, (System.nanoTime() - started) / 1_000_000, example);
    }

    private static SdkHttpClient.Builder<?> http(String client) {
        Duration socket = Duration.ofSeconds(2);
        return client.equals("apache")
                ? ApacheHttpClient.builder().connectionTimeout(Duration.ofSeconds(2)).socketTimeout(socket)
                : UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(2)).socketTimeout(socket);
    }

    private static S3Settings settings(String bucket, int port) {
        return new S3Settings(bucket, "walden", "us-east-1", Optional.of(URI.create("http://127.0.0.1:" + port)), true,
                Optional.of(S3ProxyServer.ACCESS_KEY), Optional.of(S3ProxyServer.SECRET_KEY), Optional.empty(), true, 4, 6, 16);
    }
}
