package dev.walden.agent.logical;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One complete logical dump, as its commit record holds it and {@code walden dump list --json} prints it.
 *
 * @param database the database dumped; empty for the globals dump (roles, tablespaces) of a run
 * @param format {@code custom} (pg_dump -Fc, for pg_restore) or {@code sql} (pg_dumpall --globals-only, for psql)
 * @param bytes what pg_dump wrote
 * @param storedBytes what the repository holds for it (compressed, encrypted)
 * @param tocEntries the entries {@code pg_restore --list} found in it, read back from the repository; empty for SQL
 */
public record DumpRecord(String id, String run, Optional<String> database, String format, Instant started, Instant stopped,
                         long bytes, long storedBytes, OptionalLong tocEntries, int pgVersion) {
    /** The name retention groups dumps by: the database, or {@code (globals)}. */
    public String subject() {
        return database.orElse("(globals)");
    }
}
