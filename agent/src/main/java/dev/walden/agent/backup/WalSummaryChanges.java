package dev.walden.agent.backup;

import dev.walden.agent.postgres.PostgresException;
import dev.walden.agent.postgres.PostgresSession;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What PostgreSQL's WAL summaries (17 and later, {@code summarize_wal = on}) say changed between the parent backup's
 * start and this one's: for every relation segment, the {@link BlockSource#BLOCK_SIZE} blocks that WAL modified, and
 * where a relation fork was truncated. An incremental then reads only those blocks of a relation file, and does not
 * read at all a relation file the summaries never name (whatever its modification time), as PostgreSQL's own
 * incremental backup does. The server sorts the blocks by path; they are exported once into a compressed scratch file
 * and merged with the data directory walk, so what is held is one file's blocks and the list of truncated forks.
 *
 * <p>Not used for what WAL does not describe block by block: free space maps ({@code _fsm}, never WAL-logged) and
 * every file that is not a relation segment; those follow the size and modification time rule.
 */
final class WalSummaryChanges implements AutoCloseable {
    /** How long the backup waits for the summarizer to reach its start, as pg_basebackup does. */
    static final long SUMMARIZER_WAIT_NANOS = 60_000_000_000L;
    /** More forks truncated than this since the parent, and the summaries are not used (their list is held). */
    static final int MAX_TRUNCATED_FORKS = 100_000;
    private static final Pattern RELATION = Pattern.compile(
            "(?:base/[0-9]+|global|pg_tblspc/[0-9]+/[^/]+/[0-9]+)/([0-9]+)(_vm|_init)?(?:\\.([0-9]+))?");

    /** The blocks of one relation segment that changed: those listed, and every block from {@code allFrom} on. */
    record Changes(int[] blocks, int allFrom) {
        static final Changes NONE = new Changes(new int[0], Integer.MAX_VALUE);

        boolean changed(int block) {
            return block >= allFrom || Arrays.binarySearch(blocks, block) >= 0;
        }

        boolean none() {
            return blocks.length == 0 && allFrom == Integer.MAX_VALUE;
        }
    }

    private final ScratchFile scratch;
    private final BufferedReader lines;
    /** Truncated forks: fork path (no segment suffix) to the segment and block it was truncated to. */
    private final Map<String, long[]> limits;
    private String[] current;

    private WalSummaryChanges(ScratchFile scratch, Map<String, long[]> limits) throws IOException {
        this.scratch = scratch;
        this.limits = limits;
        this.lines = reader(scratch);
        this.current = next();
    }

    /**
     * The changes since {@code parentStart}, when the server's summaries cover them; otherwise empty, having said why
     * through {@code say} (the backup then compares files as on PostgreSQL 15 and 16).
     */
    static Optional<WalSummaryChanges> since(PostgresSession session, int major, long parentTimeline, Lsn parentStart, long timeline,
                                             Lsn start, Path pgData, Path scratchDirectory, Consumer<String> say,
                                             java.util.function.BooleanSupplier cancelled)
            throws IOException, PostgresException {
        if (major < 17) {
            return Optional.empty();
        }
        Optional<String> summarized = session.summarizedLsn();
        if (summarized.isEmpty()) {
            say.accept("summarize_wal is off, so files are compared by size and modification time (set summarize_wal = on"
                    + " to read only the blocks WAL changed)");
            return Optional.empty();
        }
        if (parentTimeline != timeline) {
            say.accept("the parent backup is on timeline " + parentTimeline + " and this one on " + timeline
                    + "; WAL summaries are not used across a timeline switch");
            return Optional.empty();
        }
        long deadline = System.nanoTime() + SUMMARIZER_WAIT_NANOS;
        while (summarized.isEmpty() || summarized.get() == null || Lsn.parse(summarized.get()).compareTo(start) < 0) {
            if (cancelled.getAsBoolean()) {
                return Optional.empty();  // the client went away: the copy that follows stops at once
            }
            if (System.nanoTime() > deadline) {
                say.accept("the WAL summarizer had not reached the backup's start " + start + " after "
                        + SUMMARIZER_WAIT_NANOS / 1_000_000_000L + " s (it is at " + summarized.orElse("nothing") + ")");
                return Optional.empty();
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            summarized = session.summarizedLsn();
        }
        List<PostgresSession.WalSummary> summaries = session.walSummaries(timeline, parentStart.toString(), start.toString());
        Lsn covered = parentStart;
        for (PostgresSession.WalSummary summary : summaries) {
            if (Lsn.parse(summary.start()).compareTo(covered) > 0) {
                break;
            }
            Lsn end = Lsn.parse(summary.end());
            covered = end.compareTo(covered) > 0 ? end : covered;
        }
        if (covered.compareTo(start) < 0) {
            say.accept("the server's WAL summaries do not cover " + covered + " .. " + start + " (summarize_wal was off, or"
                    + " wal_summary_keep_time removed them), so files are compared by size and modification time");
            return Optional.empty();
        }
        ScratchFile scratch = ScratchFile.create(scratchDirectory, "summary");
        try {
            try (OutputStream out = scratch.write()) {
                session.exportModifiedBlocks(timeline, parentStart.toString(), start.toString(), tablespaceDirectory(pgData, major),
                        BlockSource.BLOCK_SIZE, out);
            }
            Map<String, long[]> limits = new HashMap<>();
            try (BufferedReader reader = reader(scratch)) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    String[] fields = line.split("\t");
                    if (fields.length == 3 && fields[2].equals("t")) {
                        Matcher relation = RELATION.matcher(fields[0]);
                        if (relation.matches()) {
                            long segment = relation.group(3) == null ? 0 : Long.parseLong(relation.group(3));
                            long[] limit = {segment, Long.parseLong(fields[1])};
                            limits.merge(forkPath(fields[0], relation), limit,
                                    (a, b) -> a[0] < b[0] || (a[0] == b[0] && a[1] <= b[1]) ? a : b);
                            if (limits.size() > MAX_TRUNCATED_FORKS) {
                                say.accept("more than " + MAX_TRUNCATED_FORKS + " relation forks were truncated since the parent"
                                        + " backup; files are compared by size and modification time instead");
                                scratch.close();
                                return Optional.empty();
                            }
                        }
                    }
                }
            }
            say.accept("WAL summaries cover " + parentStart + " .. " + start + " on timeline " + timeline + " (" + summaries.size()
                    + " summary files, " + limits.size() + " truncated forks): relation files are read only where WAL changed them");
            return Optional.of(new WalSummaryChanges(scratch, limits));
        } catch (PostgresException e) {
            scratch.close();
            say.accept("the WAL summaries cannot be read (" + e.getMessage() + "); files are compared by size and modification"
                    + " time instead");
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            scratch.close();
            throw e;
        }
    }

    /**
     * What changed in the file at {@code path} (asked in increasing path order), or empty for a file that WAL does not
     * describe block by block.
     */
    Optional<Changes> find(String path) throws IOException {
        Matcher relation = RELATION.matcher(path);
        if (!relation.matches()) {
            return Optional.empty();
        }
        while (current != null && PathOrder.compare(current[0], path) < 0) {
            current = next();
        }
        int[] blocks = new int[0];
        int count = 0;
        while (current != null && current[0].equals(path)) {
            if (count == blocks.length) {
                blocks = Arrays.copyOf(blocks, Math.max(16, count * 2));
            }
            blocks[count++] = Integer.parseInt(current[1]);
            current = next();
        }
        int allFrom = Integer.MAX_VALUE;
        long[] limit = limits.get(forkPath(path, relation));
        if (limit != null) {
            long segment = relation.group(3) == null ? 0 : Long.parseLong(relation.group(3));
            if (segment > limit[0]) {
                allFrom = 0;
            } else if (segment == limit[0]) {
                allFrom = (int) limit[1];
            }
        }
        return Optional.of(count == 0 && allFrom == Integer.MAX_VALUE ? Changes.NONE : new Changes(Arrays.copyOf(blocks, count), allFrom));
    }

    private String[] next() throws IOException {
        String line = lines.readLine();
        return line == null ? null : line.split("\t");
    }

    private static String forkPath(String path, Matcher relation) {
        return relation.group(3) == null ? path : path.substring(0, path.length() - relation.group(3).length() - 1);
    }

    /** The catalog version directory inside each tablespace (PG_17_202406281); a placeholder when there are none. */
    private static String tablespaceDirectory(Path pgData, int major) throws IOException {
        Path tablespaces = pgData.resolve("pg_tblspc");
        if (Files.isDirectory(tablespaces)) {
            try (DirectoryStream<Path> links = Files.newDirectoryStream(tablespaces)) {
                for (Path link : links) {
                    try (DirectoryStream<Path> versions = Files.newDirectoryStream(link, "PG_" + major + "_*")) {
                        for (Path version : versions) {
                            return version.getFileName().toString();
                        }
                    } catch (IOException unreadable) {
                        // the next tablespace may tell
                    }
                }
            }
        }
        return "PG_" + major + "_unknown";
    }

    private static BufferedReader reader(ScratchFile scratch) throws IOException {
        return new BufferedReader(new InputStreamReader(scratch.read(), StandardCharsets.UTF_8), 1 << 16);
    }

    @Override
    public void close() throws IOException {
        try {
            lines.close();
        } finally {
            scratch.close();
        }
    }
}
