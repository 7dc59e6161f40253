package dev.walden.agent.postgres;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command lines of PostgreSQL's client programs (pg_dump, pg_dumpall, pg_restore, psql) of one major, as the
 * agent runs them against a server: the one place, with {@link ScratchCluster}, that builds a PostgreSQL command line
 * and knows where a major's binaries are ({@link PostgresBinaries}).
 */
public final class ClientPrograms {
    private final Path bin;

    private ClientPrograms(Path bin) {
        this.bin = bin;
    }

    /** The programs of {@code major}: under {@code pgBin} when set, else the distribution's. */
    public static ClientPrograms of(Optional<Path> pgBin, int major) {
        return new ClientPrograms(PostgresBinaries.directory(pgBin, major));
    }

    /** {@code program} connected to {@code server} (host, port, user, never a password prompt), then {@code arguments}. */
    public ProcessBuilder against(PostgresSettings server, String program, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of(bin.resolve(program).toString(), "-h", server.host(), "-p",
                Integer.toString(server.port()), "-U", server.user(), "--no-password"));
        command.addAll(arguments);
        return new ProcessBuilder(command);
    }

    /** {@code program} on its own, e.g. {@code pg_restore --list} reading a dump from standard input. */
    public ProcessBuilder alone(String program, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of(bin.resolve(program).toString()));
        command.addAll(arguments);
        return new ProcessBuilder(command);
    }
}
