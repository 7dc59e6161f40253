package dev.walden.agent.backup;

import java.time.Duration;

/**
 * How backups run, from the agent's options.
 *
 * @param threads files read, compressed and stored at once (restore uses as many)
 * @param compressLevel the zstd level of backup data
 * @param bundleBytes small files are stored together in objects of about this size
 * @param bundleFileLimit files up to this size are bundled; larger ones get an object each
 * @param archiveTimeout how long a backup waits for its WAL to reach the archive before it fails
 * @param source the primary, or a standby (backup-standby)
 */
public record BackupSettings(int threads, int compressLevel, long bundleBytes, long bundleFileLimit, Duration archiveTimeout,
                             StandbySource source) {
    public BackupSettings(int threads, int compressLevel, long bundleBytes, long bundleFileLimit, Duration archiveTimeout) {
        this(threads, compressLevel, bundleBytes, bundleFileLimit, archiveTimeout, StandbySource.OFF);
    }
}
