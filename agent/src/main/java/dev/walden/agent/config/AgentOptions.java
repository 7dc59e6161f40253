package dev.walden.agent.config;

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
            "Users (names or uids, comma-separated) besides the agent's own that may connect; checked with the peer's credentials on every connection. Refused connections are logged.");

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

    public static final Option<String> ENCRYPTION = Option.choice("encryption", "auto", List.of("auto", "on", "off"),
            "Encrypt archived files with AES-256-GCM (docs/encryption.md). auto: on when keyring-path is set; on: refuse to start without a keyring; off: store unencrypted, required to run an off-host repository without a keyring.");

    public static final Option<Optional<Path>> KEYRING_PATH = Option.optionalPath("keyring-path",
            "Keyring file with the key-encryption keys (create it with 'walden-agent keygen --keyring FILE'). Must be mode 0600 or stricter. Unset: no encryption.");

    public static final Option<Optional<Path>> KEYRING_PASSPHRASE_FILE = Option.optionalPath("keyring-passphrase-file",
            "File whose first line is the passphrase for argon2id keys in the keyring. Must be mode 0600 or stricter.");

    public static final List<Option<?>> ALL = List.of(
            SOCKET_PATH, SOCKET_MODE, ALLOWED_USERS, REPO_TYPE, REPO_PATH, COMPRESS_LEVEL, WORKER_THREADS, MAX_QUEUED_REQUESTS,
            ENCRYPTION, KEYRING_PATH, KEYRING_PASSPHRASE_FILE);

    /**
     * The rule tying encryption to where the repository is: empty when fine, else what to fix.
     *
     * @param offHost the repository leaves this host (every repo-type but local)
     */
    static Optional<String> encryptionProblem(String repoType, boolean offHost, String encryption, boolean hasKeyring) {
        if (encryption.equals("on") && !hasKeyring) {
            return Optional.of("encryption = on needs keyring-path. HINT: walden-agent keygen --keyring /etc/walden/keyring");
        }
        if (encryption.equals("off") && hasKeyring) {
            return Optional.of("encryption = off but keyring-path is set; remove one of them");
        }
        if (offHost && encryption.equals("auto") && !hasKeyring) {
            return Optional.of("repo-type = " + repoType + " stores WAL off this host, so it must be encrypted: set keyring-path"
                    + " (walden-agent keygen --keyring FILE), or set encryption = off to store it unencrypted on purpose");
        }
        return Optional.empty();
    }
}
