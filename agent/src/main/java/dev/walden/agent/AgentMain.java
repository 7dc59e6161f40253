package dev.walden.agent;

import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.config.ConfigException;
import dev.walden.agent.config.OptionsDoc;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** {@code walden-agent}: runs the agent in the foreground until SIGTERM or SIGINT. */
public final class AgentMain {
    private AgentMain() {}

    static final String USAGE = """
            usage: walden-agent [--config FILE] [--OPTION VALUE ...]
                                  (--socket PATH, and WALDEN_SOCKET, as the client takes them, mean --socket-path)
                   walden-agent keygen --keyring FILE [--id ID] [--no-activate] [--passphrase --passphrase-file FILE]
                                  add a key to a keyring (created with mode 0600 if absent); it becomes the active
                                  key unless --no-activate; --passphrase derives it with Argon2id from the file
                                  --passphrase-file (which keyring-passphrase-file must then name) instead of
                                  storing random bytes
                   walden-agent options [--markdown]     list every option (docs/configuration.md is this output)
                   walden-agent metrics --markdown       list every metric (docs/metrics.md is this output)
                   walden-agent --help | --version

            Runs the Walden agent in the foreground. PostgreSQL talks to it through the walden client:
              archive_command = 'walden push %p %f'
              restore_command = 'walden fetch %f %p'

            options (file: 'key = value'; environment: WALDEN_KEY; command line: --key value):
            """;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length > 0 && args[0].equals("options")) {
            System.out.print(args.length > 1 && args[1].equals("--markdown") ? OptionsDoc.markdown() : OptionsDoc.helpText());
            return 0;
        }
        if (args.length > 0 && args[0].equals("metrics")) {
            System.out.print(dev.walden.agent.metrics.WaldenMetrics.markdown());
            return 0;
        }
        if (args.length > 0 && args[0].equals("keygen")) {
            return Keygen.run(java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        Path configFile = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--help", "-h" -> {
                    System.out.print(USAGE + OptionsDoc.helpText());
                    return 0;
                }
                case "--version" -> {
                    System.out.println("walden-agent " + Agent.VERSION);
                    return 0;
                }
                default -> {
                    if (!arg.startsWith("--") || i + 1 >= args.length) {
                        System.err.println("walden-agent: expected --option value, got '" + arg + "' (walden-agent --help)");
                        return 2;
                    }
                    if (arg.equals("--config")) {
                        configFile = Path.of(args[++i]);
                    } else if (arg.equals("--socket")) {
                        overrides.put("socket-path", args[++i]);  // the client's name for the same path
                    } else {
                        overrides.put(arg.substring(2), args[++i]);
                    }
                }
            }
        }
        LogFormat.install();
        AgentConfig config;
        try {
            config = AgentConfig.load(configFile, System.getenv(), overrides);
        } catch (ConfigException e) {
            System.err.println("walden-agent: " + e.getMessage());
            return 2;
        }
        Agent agent;
        try {
            agent = Agent.start(config, System.getenv());
        } catch (Exception e) {
            System.err.println("walden-agent: cannot start: " + StartupFailure.describe(config, e));
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                java.util.logging.Logger.getLogger(AgentMain.class.getName()).info("walden-agent stopping (signal or shutdown):"
                        + " new requests are refused; push and fetch in flight get up to 30 s; a backup or restore in flight stops incomplete");
                agent.close();
            } catch (Exception e) {
                System.err.println("walden-agent: error while stopping: " + e.getMessage());
            } finally {
                AgentLogManager.resetAfterStop();
                stopped.countDown();
            }
        }, "walden-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
