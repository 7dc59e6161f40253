package dev.walden.agent.postgres;

import java.nio.file.Path;
import java.util.Optional;

/**
 * How to reach the cluster, with libpq's meanings: a {@code host} starting with {@code /} is the directory of its
 * Unix socket, anything else a TCP host name or address.
 *
 * @param dataDirectory the cluster's data directory as this host sees it; empty when backups are not configured
 */
public record PostgresSettings(Optional<Path> dataDirectory, String host, int port, String user, String database) {
    public boolean unixSocket() {
        return host.startsWith("/");
    }

    /** Where the server listens, for messages: {@code /var/run/postgresql/.s.PGSQL.5432} or {@code host:port}. */
    public String describe() {
        return unixSocket() ? Path.of(host).resolve(".s.PGSQL." + port).toString() : host + ":" + port;
    }
}
