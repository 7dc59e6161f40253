package dev.walden.agent.backup;

import dev.walden.agent.postgres.PostgresException;
import dev.walden.agent.postgres.PostgresSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The configuration files a cluster reads from outside its data directory (Debian keeps postgresql.conf, pg_hba.conf
 * and pg_ident.conf in /etc/postgresql/MAJOR/NAME/): every base backup keeps them in its manifest, so that a restored
 * data directory can start on its own. Files inside the data directory are backed up with it and not repeated.
 */
final class ExternalConfig {
    private ExternalConfig() {}

    /**
     * @param warn told of a file that could not be kept (unreadable, too large); the backup goes on without it
     */
    static List<Manifest.ConfigFile> collect(PostgresSession session, Path pgData, Consumer<String> warn) throws PostgresException {
        Path data = real(pgData);
        List<Manifest.ConfigFile> kept = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        for (PostgresSession.ConfigFileRef ref : session.configFiles()) {
            Path path = Path.of(ref.path()).normalize();
            if (!path.isAbsolute() || real(path).startsWith(data) || !seen.add(path)) {
                continue;  // in the data directory (backed up with it), or listed already under its own role
            }
            String text;
            try {
                text = Files.readString(path, StandardCharsets.UTF_8);
            } catch (IOException local) {
                try {
                    text = session.readServerFile(path.toString());  // the agent's user may not read /etc/postgresql; the server can
                } catch (PostgresException e) {
                    warn.accept(ref.role() + " " + path + " is outside the data directory and could not be read ("
                            + local.getMessage() + "); it is not in this backup. HINT: let the agent's user read it, or grant"
                            + " pg-user pg_read_server_files");
                    continue;
                }
            }
            if (text.length() > Manifest.ConfigFile.MAX_BYTES) {
                warn.accept(ref.role() + " " + path + " is over 1 MiB, so it is not a configuration file to keep; skipped");
                continue;
            }
            kept.add(new Manifest.ConfigFile(ref.role(), path.toString(), text));
        }
        return kept;
    }

    private static Path real(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }
}
