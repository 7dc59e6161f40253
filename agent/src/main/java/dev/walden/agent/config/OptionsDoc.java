package dev.walden.agent.config;

/** Renders the option definitions for {@code --help} and for {@code docs/configuration.md}. */
public final class OptionsDoc {
    private OptionsDoc() {}

    public static String helpText() {
        StringBuilder text = new StringBuilder();
        for (Option<?> option : AgentOptions.ALL) {
            text.append("  --").append(option.key()).append(" VALUE   (").append(option.typeName())
                    .append(", default ").append(option.defaultText()).append(", env ")
                    .append(option.environmentVariable()).append(")\n      ")
                    .append(help(option)).append("\n");
        }
        return text.toString();
    }

    private static String help(Option<?> option) {
        return AgentOptions.PER_REPOSITORY.contains(option)
                ? option.help() + " *Per repository:* `" + option.forRepository(2).key() + "`, …" : option.help();
    }

    /** The whole of {@code docs/configuration.md}; a test fails when the committed file differs. */
    public static String markdown() {
        StringBuilder text = new StringBuilder();
        text.append("# Configuration\n\n")
                .append("<!-- Generated from AgentOptions.java by `walden-agent options --markdown`; do not edit by hand. -->\n\n")
                .append("`walden-agent` reads a `key = value` file given with `--config FILE` (lines starting with `#` are comments).\n")
                .append("Every option can also be set by an environment variable and by `--key value` on the command line.\n")
                .append("Precedence, lowest first: default, file, environment, command line.\n")
                .append("All options are validated at start-up; the agent refuses to start and lists every problem with where it came from.\n\n")
                .append("Up to ").append(AgentOptions.MAX_REPOSITORIES).append(" repositories: the options marked *per repository* configure repository 1 as they are,\n")
                .append("and repository N (2 to ").append(AgentOptions.MAX_REPOSITORIES).append(") with a `repoN-` prefix in place of `repo-` or before the name:\n")
                .append("`repo2-type`, `repo2-path`, `repo2-s3-bucket`, `repo2-retain-daily` (environment `WALDEN_REPO2_TYPE`, …).\n")
                .append("A repository N is configured by setting `repoN-type`; its other options take their defaults, except that\n")
                .append("when it sets no `repoN-retain-*` option it keeps what repository 1 keeps. See docs/runbook.md, Several repositories.\n\n")
                .append("| option | type | default | environment | description |\n")
                .append("|---|---|---|---|---|\n");
        for (Option<?> option : AgentOptions.ALL) {
            text.append("| `").append(option.key()).append("` | ").append(option.typeName().replace("|", "\\|"))
                    .append(" | `").append(option.defaultText()).append("` | `").append(option.environmentVariable())
                    .append("` | ").append(help(option)).append(" |\n");
        }
        return text.toString();
    }
}
