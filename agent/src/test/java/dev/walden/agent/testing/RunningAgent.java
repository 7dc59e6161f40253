package dev.walden.agent.testing;

import dev.walden.agent.Agent;
import dev.walden.agent.config.AgentConfig;
import dev.walden.cli.Walden;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/** A real agent in the test JVM, on a real Unix socket, with a local repository in a temporary directory. */
public final class RunningAgent implements AutoCloseable {
    private final Agent agent;
    private final Path socket;
    private final Path repository;

    private RunningAgent(Agent agent, Path socket, Path repository) {
        this.agent = agent;
        this.socket = socket;
        this.repository = repository;
    }

    /** Starts an agent whose socket anyone on the host may use, so PostgreSQL's own user can reach it in tests. */
    public static RunningAgent start(Path directory, Map<String, String> extraOptions) throws Exception {
        return start(directory, extraOptions, java.time.Clock.systemUTC());
    }

    /** As {@link #start(Path, Map)}, with the clock that backups, retention and verify take as now. */
    public static RunningAgent start(Path directory, Map<String, String> extraOptions, java.time.Clock clock) throws Exception {
        return start(directory, extraOptions, clock, java.util.function.UnaryOperator.identity());
    }

    /** As {@link #start(Path, Map, java.time.Clock)}, with the agent's storage wrapped (to inject faults). */
    public static RunningAgent start(Path directory, Map<String, String> extraOptions, java.time.Clock clock,
                                     java.util.function.UnaryOperator<dev.walden.agent.storage.Storage> storageWrapper) throws Exception {
        return start(directory, extraOptions, clock, (number, storage) -> number == 1 ? storageWrapper.apply(storage) : storage);
    }

    /** With several repositories: repository N's storage wrapped by {@code storageWrappers} (to inject faults into one). */
    public static RunningAgent start(Path directory, Map<String, String> extraOptions, java.time.Clock clock,
                                     java.util.function.BiFunction<Integer, dev.walden.agent.storage.Storage, dev.walden.agent.storage.Storage>
                                             storageWrappers) throws Exception {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path socket = directory.resolve("walden.sock");
        Path repository = directory.resolve("repo");
        java.util.Map<String, String> options = new java.util.HashMap<>(Map.of(
                "socket-path", socket.toString(),
                "socket-mode", "0666",
                "repo-path", repository.toString(),
                "spool-path", directory.resolve("spool").toString()));
        options.putAll(extraOptions);
        return new RunningAgent(Agent.start(AgentConfig.load(null, Map.of(), options), Map.of(), clock, storageWrappers), socket, repository);
    }

    public Path socket() {
        return socket;
    }

    public Path repository() {
        return repository;
    }

    /** The agent's own storage, local or S3, for looking at what was archived. */
    public dev.walden.agent.storage.Storage storage() {
        return agent.storage();
    }

    /** Runs the real client code in this JVM against the agent. */
    public ClientRun client(Path workingDirectory, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Walden.run(args, Map.of("WALDEN_SOCKET", socket.toString()), workingDirectory,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new ClientRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs the real client code with extra environment (WALDEN_CLIENT for restore_command, WALDEN_TIMEOUT). */
    public ClientRun client(Map<String, String> environment, Path workingDirectory, String... args) {
        return run(socket, environment, workingDirectory, args);
    }

    /** Runs the real client code in this JVM against the agent at {@code socket}. */
    public static ClientRun run(Path socket, Map<String, String> environment, Path workingDirectory, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = new java.util.HashMap<>(environment);
        env.put("WALDEN_SOCKET", socket.toString());
        int code = Walden.run(args, env, workingDirectory,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new ClientRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    public record ClientRun(int exitCode, String stdout, String stderr) {}

    /** Runs a command that must succeed and print JSON ({@code --json} is added), and returns what it printed. */
    public static com.fasterxml.jackson.databind.JsonNode json(Path socket, Map<String, String> environment, Path workingDirectory,
                                                             String... args) throws IOException {
        String[] withJson = java.util.Arrays.copyOf(args, args.length + 1);
        withJson[args.length] = "--json";
        ClientRun run = run(socket, environment, workingDirectory, withJson);
        if (run.exitCode() != 0) {
            throw new AssertionError(String.join(" ", args) + " exited " + run.exitCode() + ": " + run.stdout() + run.stderr());
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(run.stdout());
    }

    @Override
    public void close() throws IOException {
        agent.close();
    }
}
