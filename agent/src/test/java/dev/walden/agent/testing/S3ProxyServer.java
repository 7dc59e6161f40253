package dev.walden.agent.testing;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/** A real S3-compatible server (s3proxy, in-memory "transient" backend) in the test JVM, on 127.0.0.1. */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "walden-test-access";
    public static final String SECRET_KEY = "walden-test-secret";
    private final S3Proxy proxy;
    private final BlobStoreContext context;

    private S3ProxyServer(S3Proxy proxy, BlobStoreContext context) {
        this.proxy = proxy;
        this.context = context;
    }

    public static S3ProxyServer start() throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder("transient").overrides(new Properties()).build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
            }
            Thread.sleep(20);
        }
        return new S3ProxyServer(proxy, context);
    }

    public BlobStore blobStore() {
        return context.getBlobStore();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public int port() {
        return proxy.getPort();
    }

    public void createBucket(String bucket) {
        context.getBlobStore().createContainerInLocation(null, bucket);
    }

    /** Agent options for a repository in {@code bucket} on this server. */
    public Map<String, String> agentOptions(String bucket, String prefix) {
        return Map.of("repo-type", "s3", "s3-bucket", bucket, "s3-prefix", prefix, "s3-endpoint", endpoint().toString(),
                "s3-path-style", "true", "s3-access-key", ACCESS_KEY, "s3-secret-key", SECRET_KEY, "s3-max-attempts", "3",
                "s3-timeout", "30");
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
