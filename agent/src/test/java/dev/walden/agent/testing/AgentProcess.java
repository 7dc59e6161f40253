package dev.walden.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real walden-agent in its own JVM, so that a test can kill it with SIGKILL like a crash or the OOM killer. */
public final class AgentProcess implements AutoCloseable {
    private final Process process;
    private final Path socket;
    private final Path log;

    private AgentProcess(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    public static AgentProcess start(Path directory, Map<String, String> options) throws Exception {
        return start(directory, options, List.of("dev.walden.agent.AgentMain"));
    }

    /** An agent whose JVM runs with {@code jvmOptions} first, e.g. a small heap. */
    public static AgentProcess withJvmOptions(Path directory, Map<String, String> options, List<String> jvmOptions) throws Exception {
        List<String> main = new ArrayList<>(jvmOptions);
        main.add("dev.walden.agent.AgentMain");
        return start(directory, options, main);
    }

    /**
     * An agent that dies as under SIGKILL when the nth storage call of a kind on a key containing a fragment starts
     * ({@code put|delete:FRAGMENT:N}, see CrashingAgentMain); {@link #awaitDeath} waits for it.
     */
    public static AgentProcess crashingAt(Path directory, Map<String, String> options, String crashAt) throws Exception {
        return start(directory, options, List.of("dev.walden.agent.CrashingAgentMain", crashAt));
    }

    /** Waits until the process has ended (a crashing agent reached its point); false if it is still alive. */
    public boolean awaitDeath(java.time.Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private static AgentProcess start(Path directory, Map<String, String> options, List<String> main) throws Exception {
        Files.createDirectories(directory);
        Path socket = directory.resolve("walden.sock");
        Path log = directory.resolve("agent-" + System.nanoTime() + ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Djava.util.logging.manager=dev.walden.agent.AgentLogManager"));
        command.addAll(main);
        command.addAll(List.of("--socket-path", socket.toString(), "--socket-mode", "0666",
                "--repo-path", directory.resolve("repo").toString(), "--spool-path", directory.resolve("spool").toString()));
        options.forEach((key, value) -> {
            command.add("--" + key);
            command.add(value);
        });
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        AgentProcess agent = new AgentProcess(process, socket, log);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (RunningAgent.run(socket, Map.of(), directory, "ping").exitCode() != 0) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("agent did not start:\n" + agent.log());
            }
            Thread.sleep(100);
        }
        return agent;
    }

    public Path socket() {
        return socket;
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, as systemctl stop sends it; waits for the agent to exit. */
    public void terminate() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }

    /** SIGKILL: no shutdown hook, nothing cleaned up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            process.waitFor();
        }
    }
}
