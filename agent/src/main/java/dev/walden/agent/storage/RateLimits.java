package dev.walden.agent.storage;

import java.util.Optional;

/**
 * The repository's rate limits (upload-rate-limit-mib, download-rate-limit-mib), in bytes per second; 0 means none.
 * One {@link RateLimit} per limited direction is shared by every view of the store: the WAL pipelines' and the rest.
 */
public record RateLimits(long uploadBytesPerSecond, long downloadBytesPerSecond) {
    public static RateLimits none() {
        return new RateLimits(0, 0);
    }

    /** The shared limits, made once at start-up. */
    public Shared share() {
        return new Shared(uploadBytesPerSecond > 0 ? Optional.of(new RateLimit(uploadBytesPerSecond)) : Optional.empty(),
                downloadBytesPerSecond > 0 ? Optional.of(new RateLimit(downloadBytesPerSecond)) : Optional.empty());
    }

    /** The limits in force, to hand to each view of the store. */
    public record Shared(Optional<RateLimit> upload, Optional<RateLimit> download) {
        /** {@code storage} as seen by traffic of {@code lane}. */
        public Storage view(Storage storage, RateLimit.Lane lane) {
            return RateLimitedStorage.of(storage, upload, download, lane);
        }
    }
}
