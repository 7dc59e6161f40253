package dev.walden.agent.config;

import java.util.List;

/** The configuration cannot be used; the message lists every problem and what to fix. */
public final class ConfigException extends Exception {
    public ConfigException(List<String> problems) {
        super("invalid configuration:\n  " + String.join("\n  ", problems));
    }

    public ConfigException(String problem) {
        this(List.of(problem));
    }
}
