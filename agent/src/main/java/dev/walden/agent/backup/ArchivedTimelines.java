package dev.walden.agent.backup;

import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.FetchPipeline;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.wal.TimelineHistory;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Timeline histories as archived: what a backup's parent and a restore's choice of backup are judged by. */
public final class ArchivedTimelines {
    private final FetchPipeline fetch;

    public ArchivedTimelines(FetchPipeline fetch) {
        this.fetch = fetch;
    }

    /** The history of {@code timeline}; a timeline without an archived history file has no ancestors. */
    public TimelineHistory history(long timeline) throws IOException, CatalogReadException {
        if (timeline == 1) {
            return TimelineHistory.root(1);
        }
        try {
            Optional<byte[]> bytes = fetch.readSmall(WalFileName.parse(String.format("%08X.history", timeline)));
            return bytes.isEmpty() ? TimelineHistory.root(timeline)
                    : TimelineHistory.parse(timeline, new String(bytes.get(), StandardCharsets.UTF_8));
        } catch (CorruptObjectException | RepositoryFormatException | IllegalArgumentException e) {
            throw new CatalogReadException("the history file of timeline " + timeline + " cannot be read: " + e.getMessage());
        }
    }

    /** The newest timeline reachable from {@code from}, found as recovery does: by probing for the next history file. */
    public long latestFrom(long from) throws IOException, CatalogReadException {
        long latest = from;
        try {
            while (fetch.archived(WalFileName.parse(String.format("%08X.history", latest + 1)))) {
                latest++;
            }
        } catch (RepositoryFormatException e) {
            throw new CatalogReadException(e.getMessage());
        }
        return latest;
    }

    /** An archived history cannot be read. */
    public static final class CatalogReadException extends Exception {
        public CatalogReadException(String message) {
            super(message);
        }
    }
}
