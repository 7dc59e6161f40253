package dev.walden.agent.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.walden.agent.backup.BackupSettings;
import dev.walden.agent.postgres.PostgresSettings;
import dev.walden.agent.retention.RetentionPolicy;

/**
 * The agent's validated, immutable configuration. Built once at start-up from, in rising precedence: the defaults,
 * the {@code key = value} file, {@code WALDEN_*} environment variables and {@code --key value} arguments.
 */
public record AgentConfig(
        Path socketPath,
        int socketMode,
        List<String> allowedUsers,
        List<String> operatorUsers,
        String repoType,
        Path repoPath,
        S3Settings s3,
        int compressLevel,
        int workerThreads,
        int maxQueuedRequests,
        java.time.Duration commandStallTimeout,
        java.time.Duration verifyAllEvery,
        int pushAhead,
        int pushAheadThreads,
        boolean markReadyDone,
        int prefetch,
        int prefetchThreads,
        int spoolMib,
        Path spoolPath,
        String encryption,
        Optional<Path> keyringPath,
        Optional<Path> keyringPassphraseFile,
        PostgresSettings postgres,
        BackupSettings backup,
        RetentionPolicy retention,
        List<dev.walden.agent.schedule.Scheduler.Job> schedules,
        DrillSettings drill,
        Optional<java.net.InetSocketAddress> metricsListen,
        NotifySettings notifications,
        List<String> dumpExclude,
        dev.walden.agent.storage.RateLimits rateLimits,
        dev.walden.agent.guard.GuardSettings spill,
        List<RepositorySettings> repositories,
        RetrievalSettings retrieval,
        boolean archiveAckFirst,
        List<Integer> readOrder,
        Optional<Path> configFile) {

    /**
     * One repository: repository 1 from the unprefixed options, repository N from the {@code repoN-} ones.
     *
     * @param retention its own retain-* options, or repository 1's when none of them is set
     */
    public record RepositorySettings(int number, String type, Path path, S3Settings s3,
                                     dev.walden.agent.storage.RateLimits rateLimits, RetentionPolicy retention,
                                     dev.walden.agent.retention.StorageTiers tiers) {}

    /** How restores ask S3 to retrieve archived objects: for how many days, at which speed (Standard, Bulk, Expedited). */
    public record RetrievalSettings(int days, String speed) {}

    /** Whether more than one repository is configured. */
    public boolean severalRepositories() {
        return repositories.size() > 1;
    }

    /** Restore drills: where, with which checks, for how long, and how long their reports are kept. */
    public record DrillSettings(Path path, Optional<Path> sqlFile, java.time.Duration timeout, int retainDays, Optional<Path> pgBin,
                                RetrievalSettings retrieval) {}

    /** The notify-command and when archiving counts as failing. */
    public record NotifySettings(Optional<String> command, java.time.Duration archiveFailing) {}

    /** Whether archived files are encrypted, after the auto rule. */
    public boolean encrypted() {
        return !encryption.equals("off") && keyringPath.isPresent();
    }

    /** A raw value and where it came from, so that an error can point at the line to fix. */
    private record Setting(String value, String origin) {}

    public static AgentConfig defaults() {
        try {
            return load(null, Map.of(), Map.of());
        } catch (ConfigException e) {
            throw new IllegalStateException("built-in defaults are invalid", e);
        }
    }

    /**
     * @param file the {@code key = value} file, or null for none
     * @param environment the process environment (only {@code WALDEN_*} entries naming an option are read)
     * @param arguments options given on the command line, by key
     */
    public static AgentConfig load(Path file, Map<String, String> environment, Map<String, String> arguments)
            throws ConfigException {
        List<Option<?>> all = new ArrayList<>(AgentOptions.ALL);
        Map<Integer, Map<Option<?>, Option<?>>> numbered = new java.util.TreeMap<>();
        for (int n = 2; n <= AgentOptions.MAX_REPOSITORIES; n++) {
            Map<Option<?>, Option<?>> copies = new LinkedHashMap<>();
            for (Option<?> option : AgentOptions.PER_REPOSITORY) {
                copies.put(option, option.forRepository(n));
            }
            numbered.put(n, copies);
            all.addAll(copies.values());
        }
        Map<String, Option<?>> byKey = new LinkedHashMap<>();
        for (Option<?> option : all) {
            byKey.put(option.key(), option);
        }
        List<String> problems = new ArrayList<>();
        Map<String, Setting> settings = new HashMap<>();
        for (Option<?> option : all) {
            settings.put(option.key(), new Setting(option.defaultText(), "default"));
        }
        if (file != null) {
            readFile(file, byKey, settings, problems);
        }
        // WALDEN_SOCKET, the client's variable, names the same socket: one variable serves both programs.
        if (environment.containsKey("WALDEN_SOCKET") && !environment.containsKey(AgentOptions.SOCKET_PATH.environmentVariable())) {
            settings.put(AgentOptions.SOCKET_PATH.key(), new Setting(environment.get("WALDEN_SOCKET"), "environment WALDEN_SOCKET"));
        }
        for (Option<?> option : all) {
            String value = environment.get(option.environmentVariable());
            if (value != null) {
                settings.put(option.key(), new Setting(value, "environment " + option.environmentVariable()));
            }
        }
        for (Map.Entry<String, String> argument : arguments.entrySet()) {
            if (!byKey.containsKey(argument.getKey())) {
                problems.add("unknown option --" + argument.getKey() + " (walden-agent --help lists the options)");
                continue;
            }
            settings.put(argument.getKey(), new Setting(argument.getValue(), "command line --" + argument.getKey()));
        }
        Map<Option<?>, Object> values = new HashMap<>();
        for (Option<?> option : all) {
            Setting setting = settings.get(option.key());
            try {
                values.put(option, option.parse(setting.value()));
            } catch (IllegalArgumentException e) {
                problems.add(option.key() + " = '" + setting.value() + "' (" + setting.origin() + "): " + e.getMessage());
            }
        }
        List<RepositorySettings> repositories = new ArrayList<>();
        List<Integer> readOrder = List.of();
        if (problems.isEmpty()) {
            repositories.add(repository(1, Option::key, values, null));
            for (Map.Entry<Integer, Map<Option<?>, Option<?>>> copies : numbered.entrySet()) {
                int n = copies.getKey();
                Map<Option<?>, Option<?>> of = copies.getValue();
                boolean used = of.values().stream().anyMatch(o -> !settings.get(o.key()).origin().equals("default"));
                if (!used) {
                    continue;
                }
                if (settings.get(of.get(AgentOptions.REPO_TYPE).key()).origin().equals("default")) {
                    problems.add("repository " + n + " has repo" + n + "- options but no " + of.get(AgentOptions.REPO_TYPE).key()
                            + ". HINT: set " + of.get(AgentOptions.REPO_TYPE).key() + " = local or s3");
                    continue;
                }
                boolean ownRetention = AgentOptions.RETENTION.stream().anyMatch(o -> !settings.get(of.get(o).key()).origin().equals("default"));
                Map<Option<?>, Object> own = new HashMap<>(values);
                of.forEach((base, copy) -> own.put(base, values.get(copy)));
                repositories.add(repository(n, o -> of.get(o).key(), own, ownRetention ? null : repositories.get(0).retention()));
            }
            for (RepositorySettings repository : repositories) {
                Map<Option<?>, Option<?>> of = repository.number() == 1 ? null : numbered.get(repository.number());
                java.util.function.Function<Option<?>, String> name = o -> of == null ? o.key() : of.get(o).key();
                S3Settings s3 = repository.s3();
                problems.addAll(AgentOptions.s3Problems(name, repository.type(), s3.bucket().isEmpty() ? Optional.empty() : Optional.of(s3.bucket()),
                        s3.accessKey(), s3.secretKey(), s3.secretKeyFile()));
                if (repository.tiers().enabled() && !repository.type().equals("s3")) {
                    problems.add(name.apply(AgentOptions.STORAGE_CLASS_MONTHLY) + " and " + name.apply(AgentOptions.STORAGE_CLASS_YEARLY)
                            + " need " + name.apply(AgentOptions.REPO_TYPE) + " = s3: a " + repository.type()
                            + " repository has no storage classes");
                }
                AgentOptions.encryptionProblem(name.apply(AgentOptions.REPO_TYPE), repository.type(), !repository.type().equals("local"),
                        get(values, AgentOptions.ENCRYPTION), get(values, AgentOptions.KEYRING_PATH).isPresent()).ifPresent(problems::add);
            }
            problems.addAll(overlaps(repositories));
            if (!get(values, AgentOptions.BACKUP_STANDBY).equals("off") && get(values, AgentOptions.STANDBY_PG_DATA).isEmpty()) {
                problems.add("backup-standby = " + get(values, AgentOptions.BACKUP_STANDBY) + " needs standby-pg-data (the standby's data"
                        + " directory on this host) and standby-pg-host/-port");
            }
            try {
                readOrder = readOrder(get(values, AgentOptions.REPO_READ_ORDER), repositories);
            } catch (IllegalArgumentException e) {
                problems.add(AgentOptions.REPO_READ_ORDER.key() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        RepositorySettings first = repositories.get(0);
        RetrievalSettings retrieval = new RetrievalSettings(get(values, AgentOptions.RETRIEVAL_DAYS),
                Character.toUpperCase(get(values, AgentOptions.RETRIEVAL_SPEED).charAt(0)) + get(values, AgentOptions.RETRIEVAL_SPEED).substring(1));
        return new AgentConfig(
                get(values, AgentOptions.SOCKET_PATH),
                get(values, AgentOptions.SOCKET_MODE),
                get(values, AgentOptions.ALLOWED_USERS),
                get(values, AgentOptions.OPERATOR_USERS),
                first.type(),
                first.path(),
                first.s3(),
                get(values, AgentOptions.COMPRESS_LEVEL),
                get(values, AgentOptions.WORKER_THREADS),
                get(values, AgentOptions.MAX_QUEUED_REQUESTS),
                java.time.Duration.ofSeconds(get(values, AgentOptions.COMMAND_STALL_TIMEOUT)),
                java.time.Duration.ofDays(get(values, AgentOptions.VERIFY_ALL_DAYS)),
                get(values, AgentOptions.PUSH_AHEAD),
                threadsOrPerCore(get(values, AgentOptions.PUSH_AHEAD_THREADS)),
                get(values, AgentOptions.MARK_READY_DONE),
                get(values, AgentOptions.PREFETCH),
                threadsOrPerCore(get(values, AgentOptions.PREFETCH_THREADS)),
                get(values, AgentOptions.SPOOL_MIB),
                get(values, AgentOptions.SPOOL_PATH),
                get(values, AgentOptions.ENCRYPTION),
                get(values, AgentOptions.KEYRING_PATH),
                get(values, AgentOptions.KEYRING_PASSPHRASE_FILE),
                new PostgresSettings(get(values, AgentOptions.PG_DATA), get(values, AgentOptions.PG_HOST), get(values, AgentOptions.PG_PORT),
                        get(values, AgentOptions.PG_USER).orElseGet(() -> System.getProperty("user.name")),
                        get(values, AgentOptions.PG_DATABASE)),
                new BackupSettings(threadsOrPerCore(get(values, AgentOptions.BACKUP_THREADS)),
                        get(values, AgentOptions.BACKUP_COMPRESS_LEVEL),
                        (long) get(values, AgentOptions.BACKUP_BUNDLE_MIB) << 20,
                        (long) get(values, AgentOptions.BACKUP_BUNDLE_FILE_KIB) << 10,
                        java.time.Duration.ofSeconds(get(values, AgentOptions.BACKUP_ARCHIVE_TIMEOUT)),
                        new dev.walden.agent.backup.StandbySource(dev.walden.agent.backup.StandbySource.Mode.valueOf(
                                get(values, AgentOptions.BACKUP_STANDBY).toUpperCase(java.util.Locale.ROOT)),
                                get(values, AgentOptions.STANDBY_PG_DATA).map(data -> new PostgresSettings(Optional.of(data),
                                        get(values, AgentOptions.STANDBY_PG_HOST), get(values, AgentOptions.STANDBY_PG_PORT),
                                        get(values, AgentOptions.STANDBY_PG_USER).or(() -> get(values, AgentOptions.PG_USER))
                                                .orElseGet(() -> System.getProperty("user.name")),
                                        get(values, AgentOptions.PG_DATABASE))),
                                (long) get(values, AgentOptions.STANDBY_MAX_LAG) << 20)),
                first.retention(),
                schedules(values),
                new DrillSettings(get(values, AgentOptions.DRILL_PATH), get(values, AgentOptions.DRILL_SQL_FILE),
                        java.time.Duration.ofSeconds(get(values, AgentOptions.DRILL_TIMEOUT)), get(values, AgentOptions.RETAIN_DRILL_DAYS),
                        get(values, AgentOptions.PG_BIN), retrieval),
                get(values, AgentOptions.METRICS_LISTEN),
                new NotifySettings(get(values, AgentOptions.NOTIFY_COMMAND),
                        java.time.Duration.ofMinutes(get(values, AgentOptions.NOTIFY_ARCHIVE_FAILING_MINUTES))),
                get(values, AgentOptions.DUMP_EXCLUDE),
                first.rateLimits(),
                new dev.walden.agent.guard.GuardSettings(dev.walden.agent.guard.GuardSettings.Mode.valueOf(
                        get(values, AgentOptions.PG_WAL_GUARD).toUpperCase(java.util.Locale.ROOT)),
                        (long) get(values, AgentOptions.PG_WAL_MAX_MIB) << 20, get(values, AgentOptions.SPILL_PATH)),
                List.copyOf(repositories),
                retrieval,
                get(values, AgentOptions.ARCHIVE_ACK).equals("first"),
                readOrder,
                Optional.ofNullable(file).map(f -> f.toAbsolutePath().normalize()));
    }

    /**
     * One repository's settings from {@code values}, where the base options hold this repository's values.
     *
     * @param inherited repository 1's retention when this one sets no retain-* option of its own, else null
     */
    private static RepositorySettings repository(int number, java.util.function.Function<Option<?>, String> name,
                                                 Map<Option<?>, Object> values, RetentionPolicy inherited) {
        return new RepositorySettings(number, get(values, AgentOptions.REPO_TYPE), get(values, AgentOptions.REPO_PATH),
                new S3Settings(get(values, AgentOptions.S3_BUCKET).orElse(""), get(values, AgentOptions.S3_PREFIX),
                        get(values, AgentOptions.S3_REGION), get(values, AgentOptions.S3_ENDPOINT),
                        get(values, AgentOptions.S3_PATH_STYLE), get(values, AgentOptions.S3_ACCESS_KEY),
                        get(values, AgentOptions.S3_SECRET_KEY), get(values, AgentOptions.S3_SECRET_KEY_FILE),
                        get(values, AgentOptions.S3_TLS_VERIFY), get(values, AgentOptions.S3_MAX_ATTEMPTS),
                        get(values, AgentOptions.S3_TIMEOUT), get(values, AgentOptions.S3_PART_SIZE_MIB)),
                new dev.walden.agent.storage.RateLimits((long) get(values, AgentOptions.UPLOAD_RATE_LIMIT_MIB) << 20,
                        (long) get(values, AgentOptions.DOWNLOAD_RATE_LIMIT_MIB) << 20),
                inherited != null ? inherited : RetentionPolicy.of(get(values, AgentOptions.RETAIN_DAILY), get(values, AgentOptions.RETAIN_WEEKLY),
                        get(values, AgentOptions.RETAIN_MONTHLY), get(values, AgentOptions.RETAIN_YEARLY),
                        get(values, AgentOptions.RETAIN_INCR_HOURS), get(values, AgentOptions.RETAIN_PITR_DAYS),
                        get(values, AgentOptions.RETAIN_TIMEZONE).orElseGet(java.time.ZoneId::systemDefault)),
                new dev.walden.agent.retention.StorageTiers(get(values, AgentOptions.STORAGE_CLASS_MONTHLY),
                        get(values, AgentOptions.STORAGE_CLASS_YEARLY)));
    }

    /** Two repositories in one place would be one repository written twice: refused. */
    private static List<String> overlaps(List<RepositorySettings> repositories) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < repositories.size(); i++) {
            for (int j = i + 1; j < repositories.size(); j++) {
                RepositorySettings a = repositories.get(i);
                RepositorySettings b = repositories.get(j);
                boolean same = a.type().equals(b.type()) && (a.type().equals("local")
                        ? a.path().startsWith(b.path()) || b.path().startsWith(a.path())
                        : a.s3().bucket().equals(b.s3().bucket()) && a.s3().endpoint().equals(b.s3().endpoint())
                          && (a.s3().prefix().startsWith(b.s3().prefix()) || b.s3().prefix().startsWith(a.s3().prefix())));
                if (same) {
                    problems.add("repositories " + a.number() + " and " + b.number() + " are in the same place (or one inside the"
                            + " other); each repository needs a place of its own");
                }
            }
        }
        return problems;
    }

    /** repo-read-order as repository numbers: every configured repository once; empty means 1, 2, 3, 4. */
    private static List<Integer> readOrder(List<String> given, List<RepositorySettings> repositories) {
        List<Integer> configured = repositories.stream().map(RepositorySettings::number).toList();
        if (given.isEmpty()) {
            return configured;
        }
        List<Integer> order = new ArrayList<>();
        for (String item : given) {
            int n;
            try {
                n = Integer.parseInt(item);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + item + "' is not a repository number; list them as 1,2");
            }
            if (!configured.contains(n)) {
                throw new IllegalArgumentException("repository " + n + " is not configured (configured: " + configured + ")");
            }
            if (order.contains(n)) {
                throw new IllegalArgumentException("repository " + n + " is listed twice");
            }
            order.add(n);
        }
        if (order.size() != configured.size()) {
            throw new IllegalArgumentException("lists " + order + " but every configured repository must be listed: " + configured);
        }
        return List.copyOf(order);
    }

    private static List<dev.walden.agent.schedule.Scheduler.Job> schedules(Map<Option<?>, Object> values) {
        java.time.ZoneId zone = get(values, AgentOptions.SCHEDULE_TIMEZONE).orElseGet(java.time.ZoneId::systemDefault);
        List<dev.walden.agent.schedule.Scheduler.Job> jobs = new ArrayList<>();
        Map<dev.walden.agent.schedule.JobKind, Option<Optional<String>>> options = new java.util.EnumMap<>(dev.walden.agent.schedule.JobKind.class);
        options.put(dev.walden.agent.schedule.JobKind.BACKUP_FULL, AgentOptions.SCHEDULE_BACKUP_FULL);
        options.put(dev.walden.agent.schedule.JobKind.BACKUP_INCR, AgentOptions.SCHEDULE_BACKUP_INCR);
        options.put(dev.walden.agent.schedule.JobKind.VERIFY, AgentOptions.SCHEDULE_VERIFY);
        options.put(dev.walden.agent.schedule.JobKind.DRILL, AgentOptions.SCHEDULE_DRILL);
        options.put(dev.walden.agent.schedule.JobKind.DUMP, AgentOptions.SCHEDULE_DUMP);
        options.forEach((kind, option) -> get(values, option).ifPresent(expression ->
                jobs.add(new dev.walden.agent.schedule.Scheduler.Job(kind, dev.walden.agent.schedule.CronSchedule.parse(expression, zone)))));
        return List.copyOf(jobs);
    }

    @SuppressWarnings("unchecked")
    private static <T> T get(Map<Option<?>, Object> values, Option<T> option) {
        return (T) values.get(option);
    }

    private static void readFile(Path file, Map<String, Option<?>> byKey, Map<String, Setting> settings, List<String> problems) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            problems.add("configuration file " + file + " does not exist. HINT: check --config; the package installs"
                    + " /etc/walden/walden-agent.conf");
            return;
        } catch (java.nio.file.AccessDeniedException e) {
            problems.add("configuration file " + file + " cannot be read by " + System.getProperty("user.name")
                    + " (permission denied). HINT: chmod 640 " + file + " and chgrp it to the agent's group");
            return;
        } catch (IOException e) {
            problems.add("cannot read configuration file " + file + ": " + e.getClass().getSimpleName().replace("Exception", "")
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
            return;
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1);
            int equals = line.indexOf('=');
            if (equals < 0) {
                problems.add(where + ": expected 'key = value', got '" + line + "'");
                continue;
            }
            String key = line.substring(0, equals).strip();
            String value = withoutComment(line.substring(equals + 1)).strip();
            if (!byKey.containsKey(key)) {
                problems.add(where + ": unknown option '" + key + "' (walden-agent --help lists the options)");
                continue;
            }
            settings.put(key, new Setting(value, where));
        }
    }

    /**
     * A value without its inline comment: '#' after whitespace starts one, as in the documentation's examples
     * ({@code retain-pitr-days = 7   # a week}); a '#' inside a word stays, so cron's {@code 0 4 * * 0#1} works.
     */
    static String withoutComment(String value) {
        java.util.regex.Matcher comment = java.util.regex.Pattern.compile("\\s#").matcher(value);
        return comment.find() ? value.substring(0, comment.start()) : value;
    }

    /** 0 stands for one thread per core, at least 2. */
    private static int threadsOrPerCore(int configured) {
        return configured > 0 ? configured : Math.max(2, Runtime.getRuntime().availableProcessors());
    }
}
