package dev.walden.agent.config;

import java.nio.file.Path;
import java.util.List;

/** Every option the agent understands. The single source of truth; see {@link Option}. */
public final class AgentOptions {
    private AgentOptions() {}

    public static final Option<Path> SOCKET_PATH = Option.path("socket-path", "/run/walden/walden.sock",
            "Unix domain socket the agent listens on and the walden client connects to. Its directory is created if missing.");

    public static final Option<Integer> SOCKET_MODE = Option.fileMode("socket-mode", "0660",
            "Permissions of the socket file. Connecting needs write permission, so 0660 lets only the owner and group in.");

    public static final Option<String> REPO_TYPE = Option.choice("repo-type", "local", List.of("local"),
            "Where archived files are stored. local: a directory on this host (repo-path).");

    public static final Option<Path> REPO_PATH = Option.path("repo-path", "/var/lib/walden/repo",
            "Root directory of a local repository. Created if missing. Put it on a different disk from the cluster.");

    public static final Option<Integer> COMPRESS_LEVEL = Option.integer("compress-level", 3, 1, 19,
            "zstd compression level for archived files. 3 is fast and compresses WAL well; higher levels cost CPU on every segment.");

    public static final Option<Integer> WORKER_THREADS = Option.integer("worker-threads", 4, 1, 256,
            "Threads that validate, compress, store and restore files. PostgreSQL sends one file at a time, so a few are enough.");

    public static final Option<Integer> MAX_QUEUED_REQUESTS = Option.integer("max-queued-requests", 64, 1, 65536,
            "Requests that may wait for a worker. Past this the agent answers 'busy' at once and the client exits non-zero, rather than queueing without bound.");

    public static final List<Option<?>> ALL = List.of(
            SOCKET_PATH, SOCKET_MODE, REPO_TYPE, REPO_PATH, COMPRESS_LEVEL, WORKER_THREADS, MAX_QUEUED_REQUESTS);
}
