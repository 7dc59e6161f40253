package dev.walden.agent.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.storage.s3.S3Storage;
import dev.walden.agent.testing.S3ProxyServer;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The storage contract, and what is particular to S3, against a real S3-compatible server. */
class S3StorageIT extends StorageContractTest {
    private static S3ProxyServer server;
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    static S3Storage storage(Map<String, String> overrides) throws Exception {
        String bucket = "contract-" + BUCKETS.incrementAndGet();
        server.createBucket(bucket);
        Map<String, String> options = new HashMap<>(server.agentOptions(bucket, "walden/db1"));
        options.putAll(overrides);
        options.put("encryption", "off"); // an S3 repository must be encrypted unless said otherwise; not under test here
        S3Storage storage = S3Storage.open(AgentConfig.load(null, Map.of(), options).s3());
        storage.checkAccess();
        return storage;
    }

    @Override
    protected Storage createStorage() throws Exception {
        return storage(Map.of());
    }

    @Test
    void objectsLargerThanAPartGoUpInPartsAndComeBackWhole() throws Exception {
        byte[] big = new byte[(5 << 20) * 2 + 12345];
        new Random(1).nextBytes(big);
        try (Storage parts = storage(Map.of("s3-part-size-mib", "5"))) {
            assertEquals(Storage.PutOutcome.CREATED, parts.putIfAbsent("big", out -> out.write(big)));
            try (InputStream in = parts.open("big")) {
                assertArrayEquals(big, in.readAllBytes());
            }
            assertEquals(Storage.PutOutcome.ALREADY_EXISTS, parts.putIfAbsent("big", out -> out.write(1)));
        }
    }

    @Test
    void keysLiveUnderThePrefix() throws Exception {
        storage.putIfAbsent("1/wal/00000001/a", out -> out.write(1));
        assertTrue(server.blobStore().blobExists(bucketOf(storage), "walden/db1/1/wal/00000001/a"));
        assertEquals(java.util.List.of("1/wal/00000001/a"), storage.list("1/"));
    }

    @Test
    void aMissingBucketOrWrongCredentialsFailAtOnceWithAClearMessage() throws Exception {
        Map<String, String> options = new HashMap<>(server.agentOptions("no-such-bucket", ""));
        options.put("encryption", "off");
        S3Storage missing = S3Storage.open(AgentConfig.load(null, Map.of(), options).s3());
        IOException e = assertThrows(IOException.class, missing::checkAccess);
        assertTrue(e.getMessage().contains("bucket no-such-bucket does not exist"), e.getMessage());
        missing.close();

        server.createBucket("creds");
        options = new HashMap<>(server.agentOptions("creds", ""));
        options.put("encryption", "off");
        options.put("s3-secret-key", "wrong");
        S3Storage wrong = S3Storage.open(AgentConfig.load(null, Map.of(), options).s3());
        long started = System.nanoTime();
        IOException refused = assertThrows(IOException.class, wrong::checkAccess);
        assertTrue(refused.getMessage().contains("refused the credentials"), refused.getMessage());
        assertTrue(System.nanoTime() - started < 20_000_000_000L, "not a retry loop");
        wrong.close();
    }

    private static String bucketOf(Storage storage) {
        String description = storage.describe();
        return description.substring("s3://".length(), description.indexOf('/', "s3://".length()));
    }
}
