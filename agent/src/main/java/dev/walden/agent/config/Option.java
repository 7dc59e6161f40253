package dev.walden.agent.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * One configuration option, defined once: key, type, default, allowed values and help. Parsing, validation,
 * {@code --help} and {@code docs/configuration.md} all come from these definitions.
 *
 * @param <T> the parsed value type
 */
public final class Option<T> {
    private final String key;
    private final String typeName;
    private final String defaultText;
    private final String help;
    private final Parser<T> parser;

    @FunctionalInterface
    interface Parser<T> {
        /** Parses and validates; throws {@link IllegalArgumentException} with what to fix. */
        T parse(String text);
    }

    private Option(String key, String typeName, String defaultText, String help, Parser<T> parser) {
        if (help == null || help.isBlank()) {
            throw new IllegalStateException("option " + key + " has no help text");
        }
        this.key = key;
        this.typeName = typeName;
        this.defaultText = defaultText;
        this.help = help;
        this.parser = parser;
    }

    static Option<String> string(String key, String defaultValue, String help) {
        return new Option<>(key, "string", defaultValue, help, text -> {
            if (text.isEmpty()) {
                throw new IllegalArgumentException("must not be empty");
            }
            return text;
        });
    }

    /**
     * An absolute path, refused when it holds a '#' or starts or ends with whitespace: almost always a comment or a
     * stray space copied into the value, which would otherwise create a directory under a surprising name.
     */
    static Path checkedPath(String text) {
        if (!text.equals(text.strip())) {
            throw new IllegalArgumentException("starts or ends with whitespace; remove it");
        }
        if (text.contains("#")) {
            throw new IllegalArgumentException("holds '#': a comment goes on a line of its own, or after whitespace");
        }
        Path path = Path.of(text);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("must be an absolute path, got '" + text + "'");
        }
        return path.normalize();
    }

    static Option<Path> path(String key, String defaultValue, String help) {
        return new Option<>(key, "path", defaultValue, help, text -> {
            if (text.isEmpty()) {
                throw new IllegalArgumentException("must not be empty");
            }
            return checkedPath(text);
        });
    }

    /** A key prefix: slash-separated parts of [A-Za-z0-9._-], without leading or trailing slash; empty for none. */
    static Option<String> prefix(String key, String help) {
        return new Option<>(key, "key prefix", "", help, text -> {
            String trimmed = text.replaceAll("^/+|/+$", "");
            if (!trimmed.isEmpty() && !trimmed.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")) {
                throw new IllegalArgumentException("must be parts of A-Z a-z 0-9 . _ - separated by '/', got '" + text + "'");
            }
            return trimmed;
        });
    }

    static Option<Boolean> bool(String key, boolean defaultValue, String help) {
        return new Option<>(key, "boolean", Boolean.toString(defaultValue), help, text -> switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes", "1" -> true;
            case "false", "off", "no", "0" -> false;
            default -> throw new IllegalArgumentException("must be true or false, got '" + text + "'");
        });
    }

    /** A string that may be left unset (empty). */
    static Option<java.util.Optional<String>> optionalString(String key, String help) {
        return new Option<>(key, "string", "", help, text -> text.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(text));
    }

    /** An http(s) URL that may be left unset. */
    static Option<java.util.Optional<java.net.URI>> optionalUrl(String key, String help) {
        return new Option<>(key, "URL", "", help, text -> {
            if (text.isEmpty()) {
                return java.util.Optional.empty();
            }
            try {
                java.net.URI uri = new java.net.URI(text);
                if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new IllegalArgumentException("must be an http:// or https:// URL with a host, got '" + text + "'");
                }
                return java.util.Optional.of(uri);
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("is not a URL: " + e.getMessage());
            }
        });
    }

    /** A comma-separated list; empty is allowed and means none. */
    static Option<java.util.List<String>> list(String key, String help) {
        return new Option<>(key, "list", "", help, text -> {
            java.util.List<String> items = new java.util.ArrayList<>();
            for (String item : text.split(",")) {
                if (!item.isBlank()) {
                    items.add(item.strip());
                }
            }
            return java.util.List.copyOf(items);
        });
    }

    /** A path that may be left unset (empty); unset means the feature it configures is off. */
    static Option<java.util.Optional<Path>> optionalPath(String key, String help) {
        return new Option<>(key, "path", "", help, text -> {
            if (text.isEmpty()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(checkedPath(text));
        });
    }

    /** A whole number that may be left unset (empty), for options whose absence means "no rule". */
    static Option<java.util.Optional<Integer>> optionalInteger(String key, int min, int max, String help) {
        Option<Integer> bounded = integer(key, min, min, max, help);
        return new Option<>(key, "integer " + min + ".." + max, "", help,
                text -> text.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(bounded.parser.parse(text)));
    }

    /** A five-field cron expression (crontab(5), with {@code #} and {@code L}), checked by cron-utils; unset means never. */
    static Option<java.util.Optional<String>> optionalCron(String key, String help) {
        return new Option<>(key, "cron", "", help, text -> {
            if (text.isEmpty()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(dev.walden.agent.schedule.CronSchedule.parse(text, java.time.ZoneOffset.UTC).expression());
        });
    }

    /** {@code HOST:PORT} to listen on; unset means off. */
    static Option<java.util.Optional<java.net.InetSocketAddress>> optionalListen(String key, String help) {
        return new Option<>(key, "host:port", "", help, text -> {
            if (text.isEmpty()) {
                return java.util.Optional.empty();
            }
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("must be HOST:PORT, e.g. 127.0.0.1:9187, got '" + text + "'");
            }
            int port;
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be HOST:PORT with a numeric port, got '" + text + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1..65535, got " + port);
            }
            return java.util.Optional.of(java.net.InetSocketAddress.createUnresolved(text.substring(0, colon).replaceAll("^\\[|]$", ""), port));
        });
    }

    /** A time-zone id such as {@code Europe/Berlin} or {@code UTC}; unset means the system's zone. */
    static Option<java.util.Optional<java.time.ZoneId>> optionalZone(String key, String help) {
        return new Option<>(key, "time zone", "", help, text -> {
            if (text.isEmpty()) {
                return java.util.Optional.empty();
            }
            try {
                return java.util.Optional.of(java.time.ZoneId.of(text));
            } catch (java.time.DateTimeException e) {
                throw new IllegalArgumentException("must be a time-zone id such as Europe/Berlin or UTC, got '" + text + "'");
            }
        });
    }

    static Option<Integer> integer(String key, int defaultValue, int min, int max, String help) {
        return new Option<>(key, "integer " + min + ".." + max, Integer.toString(defaultValue), help, text -> {
            int value;
            try {
                value = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be a whole number, got '" + text + "'");
            }
            if (value < min || value > max) {
                throw new IllegalArgumentException("must be between " + min + " and " + max + ", got " + value);
            }
            return value;
        });
    }

    static Option<String> choice(String key, String defaultValue, List<String> choices, String help) {
        return new Option<>(key, String.join(" | ", choices), defaultValue, help, text -> {
            String value = text.toLowerCase(Locale.ROOT);
            if (!choices.contains(value)) {
                throw new IllegalArgumentException("must be one of " + String.join(", ", choices) + ", got '" + text + "'");
            }
            return value;
        });
    }

    /** One of {@code choices} as written (upper case, as S3 names its storage classes), or unset (empty). */
    static Option<java.util.Optional<String>> optionalName(String key, List<String> choices, String help) {
        return new Option<>(key, String.join(" | ", choices), "", help, text -> {
            if (text.isEmpty()) {
                return java.util.Optional.empty();
            }
            String value = text.toUpperCase(Locale.ROOT);
            if (!choices.contains(value)) {
                throw new IllegalArgumentException("must be one of " + String.join(", ", choices) + ", got '" + text + "'");
            }
            return java.util.Optional.of(value);
        });
    }

    /** A Unix permission mode in octal, e.g. {@code 0660}. */
    static Option<Integer> fileMode(String key, String defaultValue, String help) {
        return new Option<>(key, "octal mode", defaultValue, help, text -> {
            try {
                int mode = Integer.parseInt(text, 8);
                if (mode < 0 || mode > 0777) {
                    throw new NumberFormatException();
                }
                return mode;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("must be an octal permission mode such as 0660, got '" + text + "'");
            }
        });
    }

    public String key() {
        return key;
    }

    /**
     * This option for repository {@code number} (2..4): {@code repo-type} becomes {@code repo2-type}, {@code s3-bucket}
     * {@code repo2-s3-bucket}; same type, default and validation. Only the options of
     * {@link AgentOptions#PER_REPOSITORY} have such copies; they are derived here, never defined twice.
     */
    Option<T> forRepository(int number) {
        String numbered = "repo" + number + "-" + (key.startsWith("repo-") ? key.substring("repo-".length()) : key);
        return new Option<>(numbered, typeName, defaultText, "Repository " + number + "'s " + key + ".", parser);
    }

    public String typeName() {
        return typeName;
    }

    public String defaultText() {
        return defaultText;
    }

    public String help() {
        return help;
    }

    /** The environment variable that sets this option: {@code WALDEN_} plus the key, upper case, dashes as underscores. */
    public String environmentVariable() {
        return "WALDEN_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    T parse(String text) {
        return parser.parse(text.strip());
    }
}
