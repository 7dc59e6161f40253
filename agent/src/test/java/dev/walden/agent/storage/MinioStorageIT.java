package dev.walden.agent.storage;

import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.storage.s3.S3Storage;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The storage contract against MinIO in a container, where a Docker engine exists. Without one (as on our build
 * machines) the whole class is skipped, and S3StorageIT covers the driver against s3proxy.
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioStorageIT extends StorageContractTest {
    private static MinIOContainer minio;
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    @BeforeAll
    static void startMinio() {
        minio = new MinIOContainer("minio/minio:RELEASE.2024-12-18T13-15-44Z");
        minio.start();
    }

    @AfterAll
    static void stopMinio() {
        if (minio != null) {
            minio.stop();
        }
    }

    @Override
    protected Storage createStorage() throws Exception {
        String bucket = "contract-" + BUCKETS.incrementAndGet();
        try (S3Client admin = S3Client.builder().endpointOverride(java.net.URI.create(minio.getS3URL()))
                .region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(minio.getUserName(), minio.getPassword())))
                .build()) {
            admin.createBucket(b -> b.bucket(bucket));
        }
        S3Storage storage = S3Storage.open(AgentConfig.load(null, Map.of(), Map.of("repo-type", "s3", "s3-bucket", bucket,
                "s3-endpoint", minio.getS3URL(), "s3-path-style", "true", "s3-access-key", minio.getUserName(),
                "s3-secret-key", minio.getPassword(), "encryption", "off")).s3());
        storage.checkAccess();
        return storage;
    }
}
