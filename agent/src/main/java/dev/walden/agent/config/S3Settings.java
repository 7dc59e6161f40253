package dev.walden.agent.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/** The validated s3-* options, as one value for the S3 driver. */
public record S3Settings(
        String bucket,
        String prefix,
        String region,
        Optional<URI> endpoint,
        boolean pathStyle,
        Optional<String> accessKey,
        Optional<String> secretKey,
        Optional<Path> secretKeyFile,
        boolean tlsVerify,
        int maxAttempts,
        int timeoutSeconds,
        int partSizeMib) {

    @Override
    public String toString() {
        // Records print every component; the secret must never reach a log line.
        return "S3Settings[bucket=" + bucket + ", prefix=" + prefix + ", region=" + region + ", endpoint=" + endpoint
                + ", pathStyle=" + pathStyle + ", accessKey=" + accessKey.map(k -> "set").orElse("default chain") + "]";
    }
}
