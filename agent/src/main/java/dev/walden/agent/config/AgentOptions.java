package dev.walden.agent.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Every option the agent understands. The single source of truth; see {@link Option}. */
public final class AgentOptions {
    private AgentOptions() {}

    public static final Option<Path> SOCKET_PATH = Option.path("socket-path", "/run/walden/walden.sock",
            "Unix domain socket the agent listens on and the walden client connects to. Its directory is created if missing.");

    public static final Option<Integer> SOCKET_MODE = Option.fileMode("socket-mode", "0660",
            "Permissions of the socket file. Connecting needs write permission, so 0660 lets only the owner and group in.");

    public static final Option<List<String>> ALLOWED_USERS = Option.list("allowed-users",
            "Users (names or uids, comma-separated) besides the agent's own that may connect; checked with the peer's credentials on every connection. Refused connections are logged. They may archive and fetch WAL (push, fetch) and run the commands that only read (status, verify, backup list and show, dump list, expire --dry-run); what writes or deletes needs operator-users.");

    public static final Option<List<String>> OPERATOR_USERS = Option.list("operator-users",
            "Users (names or uids, comma-separated) besides the agent's own (and root, once allowed-users lets it connect) that may run the commands that write or delete: backup, restore, expire, drill, dump, dump get and restore, backup keep, release and commit. They may connect whether or not allowed-users lists them. Files such a command writes for them land only where they could write themselves, and belong to the agent's user, mode 0600.");

    public static final Option<String> REPO_TYPE = Option.choice("repo-type", "local", List.of("local", "s3"),
            "Where archived files are stored. local: a directory on this host (repo-path); s3: an S3 or S3-compatible bucket (s3-*), which must be encrypted unless encryption = off.");

    public static final Option<Path> REPO_PATH = Option.path("repo-path", "/var/lib/walden/repo",
            "Root directory of a local repository. Created if missing. Put it on a different disk from the cluster.");

    public static final Option<Optional<String>> S3_BUCKET = Option.optionalString("s3-bucket",
            "Bucket of an S3 repository (repo-type = s3). Must exist; the agent checks it can reach it at start-up.");

    public static final Option<String> S3_PREFIX = Option.prefix("s3-prefix",
            "Key prefix inside the bucket, so that several repositories can share it, e.g. walden/db1.");

    public static final Option<String> S3_REGION = Option.string("s3-region", "us-east-1",
            "Region of the bucket. S3-compatible stores usually accept the default.");

    public static final Option<Optional<URI>> S3_ENDPOINT = Option.optionalUrl("s3-endpoint",
            "Endpoint of an S3-compatible store (MinIO, Ceph RGW, s3proxy), e.g. https://minio.example:9000. Unset: AWS. Plain http:// is used only when written here.");

    public static final Option<Boolean> S3_PATH_STYLE = Option.bool("s3-path-style", false,
            "Address the bucket as https://endpoint/bucket rather than https://bucket.endpoint, as most S3-compatible stores need.");

    public static final Option<Optional<String>> S3_ACCESS_KEY = Option.optionalString("s3-access-key",
            "Access key id. Unset: the AWS SDK's default chain (environment, profile, instance or container role).");

    public static final Option<Optional<String>> S3_SECRET_KEY = Option.optionalString("s3-secret-key",
            "Secret access key; prefer s3-secret-key-file so the secret stays out of the configuration file.");

    public static final Option<Optional<Path>> S3_SECRET_KEY_FILE = Option.optionalPath("s3-secret-key-file",
            "File whose first line is the secret access key. Must be mode 0600 or stricter.");

    public static final Option<Boolean> S3_TLS_VERIFY = Option.bool("s3-tls-verify", true,
            "Verify the endpoint's TLS certificate. Turn off only for a test store with a self-signed certificate.");

    public static final Option<Integer> S3_MAX_ATTEMPTS = Option.integer("s3-max-attempts", 8, 1, 50,
            "Attempts per S3 request: server errors, SlowDown, throttling and timeouts are retried with exponential backoff and jitter; wrong credentials or bucket are not.");

    public static final Option<Integer> S3_TIMEOUT = Option.integer("s3-timeout", 120, 5, 3600,
            "Deadline in seconds for one S3 operation including its retries; a push that misses it fails and PostgreSQL retries it later.");

    public static final Option<Integer> S3_PART_SIZE_MIB = Option.integer("s3-part-size-mib", 8, 5, 512,
            "Objects larger than this are uploaded in parts of this size (multipart upload); each upload holds at most one part in memory.");

    public static final Option<Integer> UPLOAD_RATE_LIMIT_MIB = Option.integer("upload-rate-limit-mib", 0, 0, 1_000_000,
            "Most MiB per second written to the repository, shared by WAL, backups, dumps and reports; 0: no limit. WAL goes first: while a push waits for its turn, backups and dumps wait behind it, so a limited backup never holds up archiving. Set it below the link's capacity to leave room for the database's own traffic.");

    public static final Option<Integer> DOWNLOAD_RATE_LIMIT_MIB = Option.integer("download-rate-limit-mib", 0, 0, 1_000_000,
            "Most MiB per second read from the repository, shared by fetches for restore_command, restores, verify and drills; 0: no limit. WAL fetches go first, as for uploads.");

    public static final Option<String> ARCHIVE_ACK = Option.choice("archive-ack", "all", List.of("all", "first"),
            "With several repositories (repo2-type, …): when a push is acknowledged to PostgreSQL. all: once the file is durable in every repository; while one fails, pushes fail and PostgreSQL keeps its WAL. first: once it is durable in repository 1 and its copy to each other repository is either done or recorded in a durable queue in spool-path, which a catch-up worker copies in order when that repository answers again (walden status shows how far behind each one is).");

    public static final Option<List<String>> REPO_READ_ORDER = Option.list("repo-read-order",
            "With several repositories: the order in which fetch, restore, drills and listings read them, e.g. 2,1 to read the nearby NAS before S3. A read falls over to the next repository when one fails or holds the object missing, damaged or tampered with, and logs it. Empty: 1, 2, 3, 4.");

    public static final Option<Integer> PUSH_AHEAD = Option.integer("push-ahead", 16, 0, 64,
            "When PostgreSQL pushes segment N, also upload the segments whose .ready files follow N, in parallel, up to this many queued and at most twice this many not yet archived by PostgreSQL, so that their own pushes only have to check them. 0 turns look-ahead off.");

    public static final Option<Integer> PUSH_AHEAD_THREADS = Option.integer("push-ahead-threads", 0, 0, 32,
            "Threads uploading ahead; 0 means one per core (at least 2). At most one push per core compresses at a time whatever this says; more threads than cores pays off only when uploads wait on a distant store (measured on a local store: 20% more CPU per segment with 4 threads on 2 cores). Each holds at most one s3-part-size-mib part.");

    public static final Option<Boolean> MARK_READY_DONE = Option.bool("mark-ready-done", false,
            "After a segment pushed ahead is durable, rename its archive_status .ready file to .done, so PostgreSQL does not run walden for it at all (faster; pg_stat_archiver then does not count those files). See docs/runbook.md.");

    public static final Option<Integer> PREFETCH = Option.integer("prefetch", 16, 0, 64,
            "When recovery fetches segment N, download up to this many following segments of the same timeline in parallel into spool-path, so their fetches are served locally. 0 turns prefetch off.");

    public static final Option<Integer> PREFETCH_THREADS = Option.integer("prefetch-threads", 0, 0, 32,
            "Threads downloading ahead during recovery; 0 means one per core (at least 2). Each also decompresses and writes what it downloads, so on a fast local store more threads than cores only add CPU (measured: 10% slower with 4 on 2 cores); raise it for a store far away.");

    public static final Option<Integer> SPOOL_MIB = Option.integer("spool-mib", 256, 16, 65536,
            "Most disk space, in MiB, that prefetched segments may take in spool-path.");

    public static final Option<Path> SPOOL_PATH = Option.path("spool-path", "/var/lib/walden/spool",
            "Directory for prefetched segments, and for the scratch files in which backups, restores and verifies stream a manifest's files (compressed, some 50 bytes a file while one runs); emptied at start. On the same file system as pg_wal, serving a segment is a rename.");

    public static final Option<String> PG_WAL_GUARD = Option.choice("pg-wal-guard", "off", List.of("off", "spill", "drop"),
            "What a push does when the repository fails and pg_wal's backlog of files waiting to be archived has reached pg-wal-max-mib. off: fail, as always, and PostgreSQL keeps the WAL (pg_wal grows until the repository returns). spill: store the file, compressed and encrypted like any archived file, in spill-path (on another volume) and acknowledge it; spilled files are forwarded to the repository in order when it answers, and fetch serves them meanwhile; when spill-path fails too, the guard drops. drop: acknowledge the file without storing it, so the database keeps running: each drop is logged as an error, counted, notified and recorded as a gap in the repository, and when archiving works again the agent takes a full backup (docs/runbook.md, the pg_wal guard).");

    public static final Option<Integer> PG_WAL_MAX_MIB = Option.integer("pg-wal-max-mib", 8192, 16, 100_000_000,
            "The backlog of WAL waiting to be archived (the files marked .ready in pg_wal's archive_status, by their sizes) at which pg-wal-guard acts.");

    public static final Option<Path> SPILL_PATH = Option.path("spill-path", "/var/lib/walden/spill",
            "Where pg-wal-guard stores WAL it spills while the repository fails, and its journal of WAL it dropped until the repository records the gap: a directory on a volume other than pg_wal's and the repository's. Never emptied by the agent except by forwarding.");

    public static final Option<Integer> COMPRESS_LEVEL = Option.integer("compress-level", 3, 1, 19,
            "zstd compression level for archived files. 3 is fast and compresses WAL well; higher levels cost CPU on every segment.");

    public static final Option<Integer> WORKER_THREADS = Option.integer("worker-threads", 4, 1, 256,
            "Threads that validate, compress, store and restore files. PostgreSQL sends one file at a time, so a few are enough.");

    public static final Option<Integer> MAX_QUEUED_REQUESTS = Option.integer("max-queued-requests", 64, 1, 65536,
            "Requests that may wait for a worker. Past this the agent answers 'busy' at once and the client exits non-zero, rather than queueing without bound.");

    public static final Option<Integer> COMMAND_STALL_TIMEOUT = Option.integer("command-stall-timeout", 3600, 10, 604800,
            "Seconds a long command (backup, restore, verify, drill, dump) may go without reporting progress before the agent stops it and tells its client so, naming the step it was on. A heartbeat only shows that the agent is alive; this bounds a command that is stuck.");

    public static final Option<Integer> VERIFY_ALL_DAYS = Option.integer("verify-all-days", 30, 1, 3650,
            "Days after which walden verify reads every object again. In between, a verify reads only what was stored since the last one that found everything whole (objects are never rewritten), so a verify of an unchanged repository reads no data; walden verify --all reads everything at once.");

    public static final Option<String> ENCRYPTION = Option.choice("encryption", "auto", List.of("auto", "on", "off"),
            "Encrypt archived files with AES-256-GCM (docs/encryption.md). auto: on when keyring-path is set; on: refuse to start without a keyring; off: store unencrypted, required to run an off-host repository without a keyring.");

    public static final Option<Optional<Path>> KEYRING_PATH = Option.optionalPath("keyring-path",
            "Keyring file with the key-encryption keys (create it with 'walden-agent keygen --keyring FILE'). Must be mode 0600 or stricter. Unset: no encryption.");

    public static final Option<Optional<Path>> KEYRING_PASSPHRASE_FILE = Option.optionalPath("keyring-passphrase-file",
            "File whose first line is the passphrase for argon2id keys in the keyring. Must be mode 0600 or stricter.");

    public static final Option<Optional<Path>> PG_DATA = Option.optionalPath("pg-data",
            "The cluster's data directory, e.g. /var/lib/postgresql/15/main. Required for walden backup; when set, the agent checks the cluster at start-up and logs what would stop a backup.");

    public static final Option<String> PG_HOST = Option.string("pg-host", "/var/run/postgresql",
            "Where the agent connects to PostgreSQL for backups, as libpq reads it: a path is the directory of the Unix socket (peer authentication works), anything else a TCP host.");

    public static final Option<Integer> PG_PORT = Option.integer("pg-port", 5432, 1, 65535,
            "PostgreSQL's port (also names the Unix socket file, .s.PGSQL.PORT).");

    public static final Option<Optional<String>> PG_USER = Option.optionalString("pg-user",
            "Role the agent connects as; it must be allowed to run pg_backup_start and read data_directory (a superuser such as postgres). Unset: the agent's OS user.");

    public static final Option<String> PG_DATABASE = Option.string("pg-database", "postgres",
            "Database the backup session connects to.");

    public static final Option<Integer> BACKUP_THREADS = Option.integer("backup-threads", 0, 0, 64,
            "Files read, compressed, encrypted and stored at once by a backup, and written by a restore; 0 means one per core. WAL archiving has its own threads and is not queued behind a backup.");

    public static final Option<Integer> BACKUP_COMPRESS_LEVEL = Option.integer("backup-compress-level", 2, 1, 19,
            "zstd level for base backups. 2 is the default: on data directories it compresses within 2% of level 3 at nearly twice the speed (docs/benchmarks.md); WAL keeps compress-level.");

    public static final Option<Integer> BACKUP_BUNDLE_MIB = Option.integer("backup-bundle-mib", 16, 1, 1024,
            "Small files are stored together in objects of about this many MiB, so that a data directory of many small files does not become as many objects.");

    public static final Option<Integer> BACKUP_BUNDLE_FILE_KIB = Option.integer("backup-bundle-file-kib", 2048, 0, 65536,
            "Files up to this many KiB are bundled; larger files are stored in 64 KiB blocks, in objects of up to 128 MiB of a file each, so that an incremental stores only the blocks that changed (docs/format.md).");

    public static final Option<Integer> BACKUP_ARCHIVE_TIMEOUT = Option.integer("backup-archive-timeout", 600, 1, 86400,
            "Seconds a backup waits, after pg_backup_stop, for the WAL from its start to its stop to reach the repository. A backup whose WAL does not arrive in time fails and is never listed as complete.");

    public static final Option<String> BACKUP_STANDBY = Option.choice("backup-standby", "off", List.of("off", "on", "prefer"),
            "Where base backups are read from. off: the primary (pg-*). on: the standby named by standby-pg-* on this host: pg_backup_start and pg_backup_stop run there and its files are copied, while the primary archives the WAL the backup needs (the agent switches the primary's WAL when the backup's last segment is not yet complete); a standby that is not in recovery, or further behind than standby-max-lag, is refused. prefer: as on, but such a standby makes the backup come from the primary, saying why. The manifest records where each backup was taken.");

    public static final Option<Optional<Path>> STANDBY_PG_DATA = Option.optionalPath("standby-pg-data",
            "The data directory of the standby backups are taken from (backup-standby = on or prefer): it must be on this host.");

    public static final Option<String> STANDBY_PG_HOST = Option.string("standby-pg-host", "/var/run/postgresql",
            "The standby's host or socket directory, for backup-standby.");

    public static final Option<Integer> STANDBY_PG_PORT = Option.integer("standby-pg-port", 5433, 1, 65535,
            "The standby's port, for backup-standby.");

    public static final Option<Optional<String>> STANDBY_PG_USER = Option.optionalString("standby-pg-user",
            "The role the agent connects to the standby as; unset: pg-user.");

    public static final Option<Integer> STANDBY_MAX_LAG = Option.integer("standby-max-lag", 1024, 0, 1_000_000,
            "MiB of WAL the standby may be behind its primary (pg_current_wal_lsn on the primary against pg_last_wal_replay_lsn on the standby) and still be backed up from; further behind, backup-standby = on refuses and prefer backs up the primary.");

    public static final Option<Optional<Integer>> RETAIN_DAILY = Option.optionalInteger("retain-daily", 1, 10000,
            "Full backups kept one per day, for this many of the most recent days that have one: in each day the newest complete full backup is kept. Unset: no daily rule. With no retain-* option set, nothing is ever deleted.");

    public static final Option<Optional<Integer>> RETAIN_WEEKLY = Option.optionalInteger("retain-weekly", 1, 10000,
            "Full backups kept one per week (weeks begin on Monday in retain-timezone), for this many of the most recent weeks that have one. A backup kept by any rule is kept.");

    public static final Option<Optional<Integer>> RETAIN_MONTHLY = Option.optionalInteger("retain-monthly", 1, 10000,
            "Full backups kept one per calendar month, for this many of the most recent months that have one.");

    public static final Option<Optional<Integer>> RETAIN_YEARLY = Option.optionalInteger("retain-yearly", 1, 1000,
            "Full backups kept one per calendar year, for this many of the most recent years that have one.");

    public static final Option<Optional<Integer>> RETAIN_INCR_HOURS = Option.optionalInteger("retain-incr-hours", 1, 87600,
            "Incremental backups that completed within this many hours are kept, with every backup they need. Unset: an incremental is kept as long as the full backup it is built on.");

    public static final Option<Optional<Integer>> RETAIN_PITR_DAYS = Option.optionalInteger("retain-pitr-days", 1, 3650,
            "The point-in-time window in days: every WAL file from the start of the newest backup that completed before the window opened is kept, so that any moment inside the window can be restored. Default 7 once any retain-* option is set.");

    public static final Option<Optional<java.time.ZoneId>> RETAIN_TIMEZONE = Option.optionalZone("retain-timezone",
            "Where days, weeks and months begin for retain-daily, -weekly, -monthly and -yearly, e.g. Europe/Berlin. Unset: the system's time zone.");

    public static final Option<Optional<String>> STORAGE_CLASS_MONTHLY = Option.optionalName("storage-class-monthly",
            dev.walden.agent.retention.StorageTiers.CLASSES,
            "S3 storage class for full backups that only the retain-monthly rule keeps (nothing warmer: no daily or weekly rule, hold, recovery window or incremental needs them), e.g. GLACIER_IR. After each expiry their data objects are moved there by a server-side copy, never downloaded; WAL, manifests and commit records stay where they are, so listings and verify --quick never touch archived data. Unset: backups stay where they were written. Needs repo-type = s3.");

    public static final Option<Optional<String>> STORAGE_CLASS_YEARLY = Option.optionalName("storage-class-yearly",
            dev.walden.agent.retention.StorageTiers.CLASSES,
            "S3 storage class for full backups that only the retain-yearly rule keeps, e.g. DEEP_ARCHIVE. A restore or drill of such a backup first asks S3 to retrieve its objects (retrieval-days, retrieval-speed), reports the wait, and continues when run again; walden restore --prepare only asks. Needs repo-type = s3.");

    public static final Option<Integer> RETRIEVAL_DAYS = Option.integer("retrieval-days", 7, 1, 365,
            "Days S3 keeps the readable copy of an object retrieved from GLACIER or DEEP_ARCHIVE for a restore (RestoreObject), long enough to run the restore again after the wait.");

    public static final Option<String> RETRIEVAL_SPEED = Option.choice("retrieval-speed", "standard", List.of("expedited", "standard", "bulk"),
            "How fast, and at what price, S3 retrieves archived objects: expedited (minutes; GLACIER only), standard (3-5 h from GLACIER, about 12 h from DEEP_ARCHIVE) or bulk (5-12 h, up to 48 h from DEEP_ARCHIVE; cheapest).");

    public static final Option<Optional<String>> SCHEDULE_BACKUP_FULL = Option.optionalCron("schedule-backup-full",
            "When the agent takes a full backup, as a cron expression in schedule-timezone, e.g. '0 2 * * *' (02:00 daily). Unset: never on its own.");

    public static final Option<Optional<String>> SCHEDULE_BACKUP_INCR = Option.optionalCron("schedule-backup-incr",
            "When the agent takes an incremental backup, e.g. '0 */6 * * *'. A firing that finds a backup running is skipped and recorded as such.");

    public static final Option<Optional<String>> SCHEDULE_VERIFY = Option.optionalCron("schedule-verify",
            "When the agent runs walden verify (full), e.g. '30 5 * * 0' (Sundays 05:30).");

    public static final Option<Optional<String>> SCHEDULE_DRILL = Option.optionalCron("schedule-drill",
            "When the agent runs a restore drill, e.g. '0 4 * * 0#1' (04:00 on the first Sunday of the month; 0#1 is cron-utils' 'first Sunday').");

    public static final Option<Optional<String>> SCHEDULE_DUMP = Option.optionalCron("schedule-dump",
            "When the agent takes logical dumps (walden dump: every database but templates and dump-exclude, and the globals), e.g. '30 1 * * *'.");

    public static final Option<List<String>> DUMP_EXCLUDE = Option.list("dump-exclude",
            "Databases walden dump skips unless named, comma-separated, e.g. cache, queue. Templates are always skipped.");

    public static final Option<Optional<java.time.ZoneId>> SCHEDULE_TIMEZONE = Option.optionalZone("schedule-timezone",
            "The time zone of the schedule-* expressions, e.g. Europe/Berlin. Unset: the system's time zone.");

    public static final Option<Path> DRILL_PATH = Option.path("drill-path", "/var/lib/walden/drill",
            "Scratch directory for restore drills: each drill restores into a new directory below it and removes it afterwards (unless --keep). Must not be inside pg-data; needs room for a full restore.");

    public static final Option<Optional<Path>> DRILL_SQL_FILE = Option.optionalPath("drill-sql-file",
            "SQL checks a drill runs on the restored cluster: each statement must return true, or the value in a '-- expect: VALUE' line before it; '-- database: NAME' picks the database (docs/runbook.md, Drills).");

    public static final Option<Integer> DRILL_TIMEOUT = Option.integer("drill-timeout", 3600, 60, 604800,
            "Seconds a drill waits for the restored cluster to finish recovery before it fails.");

    public static final Option<Integer> RETAIN_DRILL_DAYS = Option.integer("retain-drill-days", 90, 1, 36500,
            "Days drill reports are kept in the repository.");

    public static final Option<Optional<Path>> PG_BIN = Option.optionalPath("pg-bin",
            "PostgreSQL's binaries for drills (postgres, pg_ctl, pg_amcheck). Unset: /usr/lib/postgresql/MAJOR/bin for the backup's major version, as Debian installs them.");

    public static final Option<Optional<java.net.InetSocketAddress>> METRICS_LISTEN = Option.optionalListen("metrics-listen",
            "Where the Prometheus endpoint listens, e.g. 127.0.0.1:9187 (GET /metrics; docs/metrics.md). Unset: no endpoint.");

    public static final Option<Optional<String>> NOTIFY_COMMAND = Option.optionalString("notify-command",
            "A shell command run with one JSON event on its standard input when a job, verify or a drill fails, when archiving has failed for notify-archive-failing-minutes, and when each recovers (docs/runbook.md, Notifications).");

    public static final Option<Integer> NOTIFY_ARCHIVE_FAILING_MINUTES = Option.integer("notify-archive-failing-minutes", 5, 1, 10080,
            "Minutes archiving must have been failing (no push succeeding) before notify-command is told.");

    public static final List<Option<?>> ALL = List.of(
            SOCKET_PATH, SOCKET_MODE, ALLOWED_USERS, OPERATOR_USERS, REPO_TYPE, REPO_PATH,
            S3_BUCKET, S3_PREFIX, S3_REGION, S3_ENDPOINT, S3_PATH_STYLE, S3_ACCESS_KEY, S3_SECRET_KEY, S3_SECRET_KEY_FILE,
            S3_TLS_VERIFY, S3_MAX_ATTEMPTS, S3_TIMEOUT, S3_PART_SIZE_MIB, UPLOAD_RATE_LIMIT_MIB, DOWNLOAD_RATE_LIMIT_MIB,
            ARCHIVE_ACK, REPO_READ_ORDER, COMPRESS_LEVEL, WORKER_THREADS, MAX_QUEUED_REQUESTS, COMMAND_STALL_TIMEOUT, VERIFY_ALL_DAYS,
            PUSH_AHEAD, PUSH_AHEAD_THREADS, MARK_READY_DONE, PREFETCH, PREFETCH_THREADS, SPOOL_MIB, SPOOL_PATH,
            PG_WAL_GUARD, PG_WAL_MAX_MIB, SPILL_PATH,
            ENCRYPTION, KEYRING_PATH, KEYRING_PASSPHRASE_FILE,
            PG_DATA, PG_HOST, PG_PORT, PG_USER, PG_DATABASE,
            BACKUP_THREADS, BACKUP_COMPRESS_LEVEL, BACKUP_BUNDLE_MIB, BACKUP_BUNDLE_FILE_KIB, BACKUP_ARCHIVE_TIMEOUT,
            BACKUP_STANDBY, STANDBY_PG_DATA, STANDBY_PG_HOST, STANDBY_PG_PORT, STANDBY_PG_USER, STANDBY_MAX_LAG,
            RETAIN_DAILY, RETAIN_WEEKLY, RETAIN_MONTHLY, RETAIN_YEARLY, RETAIN_INCR_HOURS, RETAIN_PITR_DAYS, RETAIN_TIMEZONE,
            STORAGE_CLASS_MONTHLY, STORAGE_CLASS_YEARLY, RETRIEVAL_DAYS, RETRIEVAL_SPEED,
            SCHEDULE_BACKUP_FULL, SCHEDULE_BACKUP_INCR, SCHEDULE_VERIFY, SCHEDULE_DRILL, SCHEDULE_DUMP, SCHEDULE_TIMEZONE,
            DUMP_EXCLUDE,
            DRILL_PATH, DRILL_SQL_FILE, DRILL_TIMEOUT, RETAIN_DRILL_DAYS, PG_BIN,
            METRICS_LISTEN, NOTIFY_COMMAND, NOTIFY_ARCHIVE_FAILING_MINUTES);

    /** Repositories 2..MAX_REPOSITORIES are configured by {@code repoN-} copies of these (docs/configuration.md). */
    public static final int MAX_REPOSITORIES = 4;

    /** What each repository has of its own: where it is, its bandwidth and its retention. */
    public static final List<Option<?>> PER_REPOSITORY = List.of(REPO_TYPE, REPO_PATH,
            S3_BUCKET, S3_PREFIX, S3_REGION, S3_ENDPOINT, S3_PATH_STYLE, S3_ACCESS_KEY, S3_SECRET_KEY, S3_SECRET_KEY_FILE,
            S3_TLS_VERIFY, S3_MAX_ATTEMPTS, S3_TIMEOUT, S3_PART_SIZE_MIB, UPLOAD_RATE_LIMIT_MIB, DOWNLOAD_RATE_LIMIT_MIB,
            RETAIN_DAILY, RETAIN_WEEKLY, RETAIN_MONTHLY, RETAIN_YEARLY, RETAIN_INCR_HOURS, RETAIN_PITR_DAYS, RETAIN_TIMEZONE,
            STORAGE_CLASS_MONTHLY, STORAGE_CLASS_YEARLY);

    /** The retain-* options among {@link #PER_REPOSITORY}: when none is set for repository N, it keeps what repository 1 keeps. */
    static final List<Option<?>> RETENTION = List.of(RETAIN_DAILY, RETAIN_WEEKLY, RETAIN_MONTHLY, RETAIN_YEARLY,
            RETAIN_INCR_HOURS, RETAIN_PITR_DAYS, RETAIN_TIMEZONE);

    /**
     * The rule tying encryption to where the repository is: empty when fine, else what to fix.
     *
     * @param offHost the repository leaves this host (every repo-type but local)
     */
    /**
     * Cross-option rules for an S3 repository: empty when fine, else every problem.
     *
     * @param name the key an option has for this repository ({@code s3-bucket}, or {@code repo2-s3-bucket})
     */
    static List<String> s3Problems(java.util.function.Function<Option<?>, String> name, String repoType, Optional<String> bucket,
                                   Optional<String> accessKey, Optional<String> secretKey, Optional<Path> secretKeyFile) {
        List<String> problems = new java.util.ArrayList<>();
        if (!repoType.equals("s3")) {
            return problems;
        }
        if (bucket.isEmpty()) {
            problems.add(name.apply(REPO_TYPE) + " = s3 needs " + name.apply(S3_BUCKET));
        }
        if (secretKey.isPresent() && secretKeyFile.isPresent()) {
            problems.add("set " + name.apply(S3_SECRET_KEY) + " or " + name.apply(S3_SECRET_KEY_FILE) + ", not both");
        }
        if (accessKey.isPresent() != (secretKey.isPresent() || secretKeyFile.isPresent())) {
            problems.add(name.apply(S3_ACCESS_KEY) + " and a secret (" + name.apply(S3_SECRET_KEY) + " or " + name.apply(S3_SECRET_KEY_FILE)
                    + ") go together; leave all unset to use the AWS default credentials chain");
        }
        return problems;
    }

    static Optional<String> encryptionProblem(String repoTypeKey, String repoType, boolean offHost, String encryption, boolean hasKeyring) {
        if (encryption.equals("on") && !hasKeyring) {
            return Optional.of("encryption = on needs keyring-path. HINT: walden-agent keygen --keyring /etc/walden/keyring");
        }
        if (encryption.equals("off") && hasKeyring) {
            return Optional.of("encryption = off but keyring-path is set; remove one of them");
        }
        if (offHost && encryption.equals("auto") && !hasKeyring) {
            return Optional.of(repoTypeKey + " = " + repoType + " stores WAL off this host, so it must be encrypted: set keyring-path"
                    + " (walden-agent keygen --keyring FILE), or set encryption = off to store it unencrypted on purpose");
        }
        return Optional.empty();
    }
}
