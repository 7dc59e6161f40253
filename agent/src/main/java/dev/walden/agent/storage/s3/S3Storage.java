package dev.walden.agent.storage.s3;

import dev.walden.agent.config.S3Settings;
import dev.walden.agent.config.SecretFile;
import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.storage.StorageFailureException;
import dev.walden.agent.storage.StorageKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A repository in an S3 or S3-compatible bucket, through the AWS SDK for Java v2 with the JDK's URLConnection HTTP
 * client. Calls block, so they run on the agent's worker threads, never on the event loop.
 *
 * <ul>
 *   <li>Create-if-absent: a HEAD first, then the upload with {@code If-None-Match: *}, which AWS S3, MinIO and recent
 *       Ceph honour (HTTP 412 when the key exists). A store that ignores the header (s3proxy, older Ceph) still never
 *       sees an overwrite from one agent, because HEAD and upload of a key are one step under a per-key lock; two
 *       agents racing on one name is what the header is for. Nothing is written to probe which kind a store is:
 *       buckets for WAL often deny deletes or lock objects.</li>
 *   <li>Durability: S3 acknowledges a PUT or a completed multipart upload only once the object is stored.</li>
 *   <li>Memory: an object up to {@code s3-part-size-mib} is buffered and sent in one PUT; a larger one goes as a
 *       multipart upload, holding one part at a time.</li>
 *   <li>Retries: the SDK's standard strategy (exponential backoff with jitter on 5xx, SlowDown, throttling, timeouts)
 *       up to {@code s3-max-attempts}, inside a per-operation deadline of {@code s3-timeout}. Errors that retrying
 *       cannot fix (credentials, missing bucket) fail at once, and {@link #checkAccess} fails start-up on them.</li>
 * </ul>
 */
public final class S3Storage implements Storage {
    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final int partSize;
    private final String description;
    private final int maxAttempts;
    private final Duration apiCallTimeout;
    /**
     * Striped per-key locks: within this agent a HEAD and the upload that follows it are one step, so two pushes
     * of one name never both upload, even on a store that ignores If-None-Match (s3proxy, older Ceph).
     */
    private final Object[] keyLocks = new Object[64];

    private S3Storage(S3Client s3, String bucket, String prefix, int partSize, String description, int maxAttempts,
                      Duration apiCallTimeout) {
        this.s3 = s3;
        this.maxAttempts = maxAttempts;
        this.apiCallTimeout = apiCallTimeout;
        this.bucket = bucket;
        this.prefix = prefix.isEmpty() ? "" : prefix + "/";
        this.partSize = partSize;
        this.description = description;
        for (int i = 0; i < keyLocks.length; i++) {
            keyLocks[i] = new Object();
        }
    }

    public static S3Storage open(S3Settings settings) throws IOException {
        // Apache's client reports an answer it cannot parse as an I/O error, which the SDK retries like a reset
        // connection; the JDK's URLConnection client threw IllegalArgumentException, which nothing retried.
        ApacheHttpClient.Builder http = ApacheHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(Duration.ofSeconds(Math.max(1, Math.min(60, settings.timeoutSeconds() / 3))))
                .maxConnections(64);
        if (!settings.tlsVerify()) {
            http.tlsTrustManagersProvider(() -> new TrustManager[] {new TrustingManager()});
        }
        return open(settings, http);
    }

    /** With the given HTTP client: for measuring one client against another behind a fault proxy. */
    static S3Storage open(S3Settings settings, software.amazon.awssdk.http.SdkHttpClient.Builder<?> http) throws IOException {
        var builder = S3Client.builder()
                .httpClientBuilder(http)
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .credentialsProvider(credentials(settings))
                // S3-compatible stores vary in support for the SDK's newer default checksums; the object format
                // carries its own SHA-256, and TLS protects the transfer.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o
                        .apiCallTimeout(Duration.ofSeconds(settings.timeoutSeconds()))
                        // Half the deadline per attempt, so that a store which never answers is tried again in time.
                        .apiCallAttemptTimeout(Duration.ofSeconds(Math.max(2, Math.min(60, settings.timeoutSeconds() / 2))))
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .maxAttempts(settings.maxAttempts()).build()));
        settings.endpoint().ifPresent(builder::endpointOverride);
        String description = "s3://" + settings.bucket() + "/" + settings.prefix()
                + settings.endpoint().map(URI::toString).map(e -> " at " + e).orElse("");
        return new S3Storage(builder.build(), settings.bucket(), settings.prefix(), settings.partSizeMib() << 20, description,
                settings.maxAttempts(), Duration.ofSeconds(settings.timeoutSeconds()));
    }

    private static AwsCredentialsProvider credentials(S3Settings settings) throws IOException {
        if (settings.accessKey().isEmpty()) {
            return DefaultCredentialsProvider.builder().build();
        }
        String secret = settings.secretKey().isPresent() ? settings.secretKey().get()
                : SecretFile.readLines(settings.secretKeyFile().orElseThrow(), "S3 secret key file").stream()
                        .findFirst().map(String::strip).orElse("");
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey().get(), secret));
    }

    /** Fails start-up with a clear message when the bucket is missing or the credentials are refused. */
    public void checkAccess() throws IOException {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (AwsServiceException e) {
            throw new IOException(switch (e.statusCode()) {
                case 404 -> "bucket " + bucket + " does not exist (" + description + ")";
                case 301, 400 -> "bucket " + bucket + " is not reachable as configured (" + e.statusCode()
                        + "): check s3-region, s3-endpoint and s3-path-style";
                case 401, 403 -> "S3 refused the credentials for bucket " + bucket + " (" + e.statusCode()
                        + "): check s3-access-key / s3-secret-key, or the role's permissions";
                default -> "cannot use bucket " + bucket + ": " + describe(e);
            });
        } catch (SdkException e) {
            throw new IOException("cannot reach " + description + ": " + describe(e));
        }
    }

    @Override
    public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
        String objectKey = objectKey(key);
        synchronized (keyLocks[(objectKey.hashCode() & 0x7fffffff) % keyLocks.length]) {
            if (exists(key)) {
                return PutOutcome.ALREADY_EXISTS;
            }
            try (Upload upload = new Upload(objectKey)) {
                writer.writeTo(upload);
                return upload.finish();
            }
        }
    }

    @Override
    public InputStream open(String key) throws IOException {
        ResponseInputStream<GetObjectResponse> stream;
        try {
            stream = call("read " + key, key, () -> s3.getObject(b -> b.bucket(bucket).key(objectKey(key))));
        } catch (dev.walden.agent.storage.ArchivedObjectException e) {
            String storageClass;
            try {
                storageClass = storageClass(key).orElse("an archive class");
            } catch (IOException unknown) {
                storageClass = "an archive class";
            }
            throw new dev.walden.agent.storage.ArchivedObjectException(key, storageClass);
        }
        return new ResumingStream(key, stream);
    }

    /** Classes whose objects GetObject refuses (InvalidObjectState) until RestoreObject has made a copy readable. */
    private static final java.util.Set<String> ARCHIVE_CLASSES = java.util.Set.of("GLACIER", "DEEP_ARCHIVE");

    @Override
    public java.util.Optional<String> storageClass(String key) throws IOException {
        String storageClass = call("look up " + key, key, () -> s3.headObject(b -> b.bucket(bucket).key(objectKey(key)))).storageClassAsString();
        return java.util.Optional.of(storageClass == null ? "STANDARD" : storageClass);
    }

    @Override
    public void changeStorageClass(String key, String storageClass) throws IOException {
        String objectKey = objectKey(key);
        call("move " + key + " to " + storageClass, key, () -> s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(objectKey)
                .destinationBucket(bucket).destinationKey(objectKey).storageClass(storageClass)
                .metadataDirective(software.amazon.awssdk.services.s3.model.MetadataDirective.REPLACE)));
    }

    @Override
    public Retrieval retrieval(String key) throws IOException {
        var head = call("look up " + key, key, () -> s3.headObject(b -> b.bucket(bucket).key(objectKey(key))));
        if (head.storageClassAsString() == null || !ARCHIVE_CLASSES.contains(head.storageClassAsString())) {
            return Retrieval.READABLE;
        }
        String restore = head.restore();
        if (restore == null) {
            return Retrieval.ARCHIVED;
        }
        return restore.contains("ongoing-request=\"true\"") ? Retrieval.RETRIEVING : Retrieval.READABLE;
    }

    @Override
    public void requestRetrieval(String key, int days, String speed) throws IOException {
        try {
            call("request the retrieval of " + key, key, () -> s3.restoreObject(b -> b.bucket(bucket).key(objectKey(key))
                    .restoreRequest(r -> r.days(days).glacierJobParameters(g -> g.tier(speed)))));
        } catch (StorageFailureException e) {
            if (e.getCause() instanceof AwsServiceException service && service.statusCode() == 409) {
                return;  // RestoreAlreadyInProgress: asked before, still running
            }
            throw e;
        }
    }

    @Override
    public boolean exists(String key) throws IOException {
        try {
            call("look up " + key, key, () -> s3.headObject(b -> b.bucket(bucket).key(objectKey(key))));
            return true;
        } catch (ObjectNotFoundException e) {
            return false;
        }
    }

    @Override
    public java.util.Optional<java.time.Instant> storedAt(String key) throws IOException {
        try {
            return java.util.Optional.ofNullable(call("look up " + key, key,
                    () -> s3.headObject(b -> b.bucket(bucket).key(objectKey(key)))).lastModified());
        } catch (ObjectNotFoundException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public List<StoredObject> listObjects(String keyPrefix) throws IOException {
        List<StoredObject> objects = call("list " + keyPrefix, keyPrefix, () -> {
            List<StoredObject> page = new ArrayList<>();
            for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + keyPrefix)).contents()) {
                page.add(new StoredObject(object.key().substring(prefix.length()), object.size(),
                        java.util.Optional.ofNullable(object.lastModified())));
            }
            return page;
        });
        objects.sort(java.util.Comparator.comparing(StoredObject::key));
        return objects;
    }

    @Override
    public void forEachObject(String keyPrefix, java.util.function.Consumer<StoredObject> visitor) throws IOException {
        // Page by page: the SDK fetches the next 1,000 keys when the iteration reaches them. Only the iteration is a
        // storage call; what the visitor throws is its own, never taken for the store's failure.
        java.util.Iterator<S3Object> objects = s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + keyPrefix))
                .contents().iterator();
        while (call("list " + keyPrefix, keyPrefix, objects::hasNext)) {
            S3Object object = call("list " + keyPrefix, keyPrefix, objects::next);
            visitor.accept(new StoredObject(object.key().substring(prefix.length()), object.size(),
                    java.util.Optional.ofNullable(object.lastModified())));
        }
    }

    @Override
    public void delete(String key) throws IOException {
        call("delete " + key, key, () -> s3.deleteObject(b -> b.bucket(bucket).key(objectKey(key))));
    }

    /** S3's DeleteObjects takes up to this many keys a call. */
    static final int DELETE_BATCH = 1000;

    /** False once the store refused DeleteObjects as the SDK sends it (s3proxy, MinIO, Ceph): one DELETE per key. */
    private volatile boolean batchDelete = true;

    @Override
    public void deleteAll(List<String> keys) throws IOException {
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            if (!batchDelete) {
                for (String key : keys.subList(from, keys.size())) {
                    delete(key);
                }
                return;
            }
            List<software.amazon.awssdk.services.s3.model.ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(),
                    from + DELETE_BATCH)).stream().map(k -> software.amazon.awssdk.services.s3.model.ObjectIdentifier.builder()
                    .key(objectKey(k)).build()).toList();
            String first = keys.get(from);
            try {
                var response = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(batch).quiet(true)));
                if (response.hasErrors() && !response.errors().isEmpty()) {
                    var error = response.errors().get(0);
                    throw new StorageFailureException("AccessDenied".equals(error.code()) ? StorageFailureException.Kind.PERMISSION_DENIED
                            : StorageFailureException.Kind.UNAVAILABLE, "S3 could not delete " + response.errors().size() + " of "
                            + batch.size() + " objects in " + description + ", e.g. " + error.key() + ": " + error.code() + " "
                            + error.message() + ". HINT: the credentials need s3:DeleteObject; the next expiry tries again", null);
                }
            } catch (AwsServiceException e) {
                // 501 (s3proxy: the SDK's CRC32 checksum header) or 400 "Missing required header: Content-MD5" (MinIO,
                // Ceph: SDK 2.30 and later send CRC32 where they want MD5; aws-sdk-java-v2#5805): delete one by one.
                if (e.statusCode() != 501 && !(e.statusCode() == 400 && String.valueOf(e.getMessage()).contains("Content-M"))) {
                    throw failure("delete " + batch.size() + " objects from " + first, e);
                }
                java.util.logging.Logger.getLogger(S3Storage.class.getName()).info(description + " has no DeleteObjects ("
                        + describe(e) + "): deleting one object per request");
                batchDelete = false;
                from -= DELETE_BATCH;
            } catch (SdkException e) {
                throw failure("delete " + batch.size() + " objects from " + first, e);
            } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
                throw garbage("delete " + batch.size() + " objects from " + first, e);
            }
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        s3.close();
    }

    private String objectKey(String key) {
        return prefix + StorageKeys.check(key);
    }

    /** One call to S3. */
    @FunctionalInterface
    private interface S3Call<T> {
        T run();
    }

    /**
     * Makes one call and names what can go wrong with it: a missing object is {@link ObjectNotFoundException}, every
     * other failure a classified {@link StorageFailureException}.
     */
    private <T> T call(String what, String key, S3Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (NoSuchKeyException e) {
            throw new ObjectNotFoundException(key);
        } catch (AwsServiceException e) {
            if (e.awsErrorDetails() != null && "InvalidObjectState".equals(e.awsErrorDetails().errorCode())) {
                throw new dev.walden.agent.storage.ArchivedObjectException(key, "an archive class");
            }
            // A HEAD has no body to say NoSuchKey: a 404 that is not about the bucket is a missing object.
            if (e.statusCode() == 404 && (e.awsErrorDetails() == null || !"NoSuchBucket".equals(e.awsErrorDetails().errorCode()))) {
                throw new ObjectNotFoundException(key);
            }
            throw failure(what, e);
        } catch (SdkException e) {
            throw failure(what, e);
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            // The SDK's HTTP client meets a response it cannot parse (a negative status, a truncated body): the
            // store answered garbage, which is a storage failure to report and retry, not a bug in the agent.
            throw garbage(what, e);
        }
    }

    private IOException garbage(String what, RuntimeException e) {
        return new StorageFailureException(StorageFailureException.Kind.UNAVAILABLE, "S3 could not " + what + " in " + description
                + ": the store's answer could not be understood (" + e.getMessage() + "); nothing was acknowledged."
                + " HINT: a proxy or load balancer between the agent and S3? The next request tries again", e);
    }

    /** Names an SDK failure as one of the storage failure kinds, with what to do about it. */
    private IOException failure(String what, SdkException e) {
        String head = "S3 could not " + what + " in " + description + ": " + describe(e);
        if (e instanceof AwsServiceException service) {
            String code = service.awsErrorDetails() == null || service.awsErrorDetails().errorCode() == null ? ""
                    : service.awsErrorDetails().errorCode();
            if (service.statusCode() == 401 || service.statusCode() == 403) {
                return new StorageFailureException(StorageFailureException.Kind.PERMISSION_DENIED, head + ". HINT: the credentials"
                        + " (s3-access-key, or the instance role) need s3:GetObject, s3:PutObject, s3:ListBucket and"
                        + " s3:DeleteObject on bucket " + bucket + "; nothing was acknowledged", e);
            }
            if (service.statusCode() == 507 || code.contains("QuotaExceeded") || code.contains("StorageFull")) {
                return new StorageFailureException(StorageFailureException.Kind.OUT_OF_SPACE, head + ". HINT: the bucket or"
                        + " its server is out of space or quota; free some (walden expire) or raise the quota", e);
            }
            return new StorageFailureException(StorageFailureException.Kind.UNAVAILABLE, head + ". HINT: "
                    + (service.statusCode() >= 500 ? "the store is failing; the agent retried it within s3-timeout and"
                    + " tries again on the next request" : "check s3-bucket, s3-region and s3-endpoint"), e);
        }
        Throwable cause = e.getCause();
        while (cause != null && cause.getCause() != null && cause.getCause() != cause
                && !(cause instanceof java.net.UnknownHostException) && !(cause instanceof javax.net.ssl.SSLException)) {
            cause = cause.getCause();
        }
        String hint = cause instanceof java.net.UnknownHostException ? "the endpoint's host name does not resolve: check"
                + " s3-endpoint and the host's DNS"
                : cause instanceof javax.net.ssl.SSLException ? "TLS with the endpoint failed: check its certificate, or set"
                + " s3-tls-verify = false for a private store with a self-signed one"
                : "the store did not answer within s3-timeout (retried); check the network path to it";
        return new StorageFailureException(StorageFailureException.Kind.UNAVAILABLE, head + "; nothing was acknowledged. HINT: "
                + hint, e);
    }

    static String describe(SdkException e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            String code = service.awsErrorDetails().errorCode();
            String message = service.awsErrorDetails().errorMessage();
            return service.statusCode() + (code == null ? "" : " " + code) + (message == null ? "" : ": " + message);
        }
        if (e instanceof SdkClientException && e.getCause() != null) {
            return e.getMessage() + " (" + e.getCause().getClass().getSimpleName() + ")";
        }
        return e.getMessage();
    }

    private static boolean isPreconditionFailed(SdkException e) {
        return e instanceof AwsServiceException service && service.statusCode() == 412;
    }

    /**
     * Collects one object's bytes: a single PUT while they fit in one part, a multipart upload once they do not.
     * Memory stays at one part whatever the object's size.
     */
    private final class Upload extends OutputStream {
        private final String objectKey;
        private byte[] buffer = new byte[64 * 1024];
        private int filled;
        private String uploadId;
        private final List<CompletedPart> parts = new ArrayList<>();
        private boolean finished;

        Upload(String objectKey) {
            this.objectKey = objectKey;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                if (filled == partSize) {
                    sendPart();
                }
                if (filled == buffer.length) {
                    buffer = java.util.Arrays.copyOf(buffer, Math.min(partSize, buffer.length * 2));
                }
                int count = Math.min(length, buffer.length - filled);
                System.arraycopy(bytes, offset, buffer, filled, count);
                filled += count;
                offset += count;
                length -= count;
            }
        }

        private void sendPart() throws IOException {
            if (uploadId == null) {
                uploadId = call("start the upload of " + objectKey, objectKey,
                        () -> s3.createMultipartUpload(b -> b.bucket(bucket).key(objectKey)).uploadId());
            }
            int number = parts.size() + 1;
            String etag = call("upload part of " + objectKey, objectKey, () -> s3.uploadPart(
                    b -> b.bucket(bucket).key(objectKey).uploadId(uploadId).partNumber(number), body()).eTag());
            parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            filled = 0;
        }

        /**
         * The buffered bytes as a request body read in place: {@code RequestBody.fromBytes} would copy them again. The
         * SDK asks for a fresh stream on each retry; the buffer is not touched until the call returns.
         */
        private RequestBody body() {
            byte[] bytes = buffer;
            int length = filled;
            return RequestBody.fromContentProvider(() -> new java.io.ByteArrayInputStream(bytes, 0, length), length,
                    "application/octet-stream");
        }

        PutOutcome finish() throws IOException {
            try {
                if (uploadId == null) {
                    s3.putObject(b -> b.bucket(bucket).key(objectKey).ifNoneMatch("*"), body());
                } else {
                    if (filled > 0) {
                        sendPart();
                    }
                    s3.completeMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId).ifNoneMatch("*")
                            .multipartUpload(m -> m.parts(parts)));
                }
                finished = true;
                return PutOutcome.CREATED;
            } catch (SdkException e) {
                if (isPreconditionFailed(e)) {
                    return PutOutcome.ALREADY_EXISTS;
                }
                throw failure("store " + objectKey, e);
            } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
                throw garbage("store " + objectKey, e);
            }
        }

        /** An upload that did not finish leaves nothing behind: its parts are discarded. */
        @Override
        public void close() {
            if (!finished && uploadId != null) {
                try {
                    s3.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
                } catch (SdkException ignored) {
                    // the bucket's lifecycle rule for incomplete uploads cleans up what this could not
                }
            }
        }
    }

    /**
     * An object's body that survives a connection lost halfway (a reset, a body cut short): it asks again for the rest,
     * from where it stopped, up to {@code s3-max-attempts} times within {@code s3-timeout}. The SDK retries a request,
     * not a body already being read. Objects are never overwritten, so the rest is of the same object.
     */
    private final class ResumingStream extends InputStream {
        private final String key;
        private final long deadline = System.nanoTime() + apiCallTimeout.toNanos();
        private InputStream body;
        private long position;
        private int resumes;

        ResumingStream(String key, InputStream body) {
            this.key = key;
            this.body = body;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                try {
                    int read = body.read(b, off, len);
                    if (read > 0) {
                        position += read;
                    }
                    return read;
                } catch (IOException | java.io.UncheckedIOException | SdkException e) {
                    if (++resumes >= maxAttempts || System.nanoTime() > deadline) {
                        throw new StorageFailureException(StorageFailureException.Kind.UNAVAILABLE, "S3 could not read " + key + " in "
                                + description + ": the connection was lost " + resumes + " times while reading it (" + e.getMessage()
                                + "). HINT: check the network path to the store; the next request tries again", e);
                    }
                    closeQuietly(body);
                    long from = position;
                    // A failed request for the rest is a storage failure of its own (never an early end of the object).
                    body = call("read " + key + " from byte " + from, key,
                            () -> s3.getObject(g -> g.bucket(bucket).key(objectKey(key)).range("bytes=" + from + "-")));
                }
            }
        }

        @Override
        public void close() throws IOException {
            body.close();
        }

        private static void closeQuietly(InputStream in) {
            try {
                in.close();
            } catch (IOException | RuntimeException ignored) {
                // the connection is already broken
            }
        }
    }

    /** For s3-tls-verify = false only: accepts any certificate. */
    private static final class TrustingManager implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
