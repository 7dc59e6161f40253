package dev.walden.agent.records;

import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.storage.ObjectNotFoundException;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A log of small records in the repository, one object each, under {@code SYSID/LOG/STAMP} where the stamp sorts in
 * time order ({@code YYYYMMDD-HHMMSS}, with {@code -N} for a second record in the same second): the runs of scheduled
 * jobs, verify results and drill reports (docs/format.md). Every record is written through the same object format and
 * encryption as everything else, bound to its name ({@code LOG/STAMP}), and never rewritten; old ones are pruned.
 */
public final class RecordLog {
    private final BackupObjects objects;
    private final String prefix;
    private final String log;
    private final ObjectKind kind;
    private final long maxBytes;

    /**
     * @param log      the log's path under the cluster, e.g. {@code verify} or {@code runs/backup}
     * @param maxBytes the largest record read back; anything larger is taken as damaged
     */
    public RecordLog(BackupObjects objects, long systemIdentifier, String log, ObjectKind kind, long maxBytes) {
        this.objects = objects;
        this.prefix = Long.toUnsignedString(systemIdentifier) + "/" + log + "/";
        this.log = log;
        this.kind = kind;
        this.maxBytes = maxBytes;
    }

    /** The stamps of the stored records, oldest first. */
    public List<String> stamps() throws IOException {
        return objects.list(prefix).stream().map(key -> key.substring(prefix.length())).toList();
    }

    /**
     * Stores a record under {@code stamp}, or {@code stamp-N} when one is already there.
     *
     * @return the stamp it was stored under
     */
    public String add(String stamp, byte[] record) throws IOException {
        List<String> existing = stamps();
        String unique = stamp;
        for (int n = 1; existing.contains(unique); n++) {
            unique = stamp + "-" + n;
        }
        objects.writeBytes(prefix + unique, log + "/" + unique, kind, record);
        return unique;
    }

    /** Reads one record. */
    public byte[] read(String stamp) throws IOException, CorruptObjectException {
        return objects.readBytes(prefix + stamp, log + "/" + stamp, kind, maxBytes);
    }

    /**
     * The newest record that {@code decode} accepts, skipping those gone meanwhile, damaged, or that it refuses with
     * an {@link IllegalArgumentException}: the one before still says what happened last.
     */
    public <T> Optional<T> newest(Decoder<T> decode) throws IOException {
        List<String> all = stamps();
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                return Optional.of(decode.decode(read(all.get(i))));
            } catch (ObjectNotFoundException | CorruptObjectException | IllegalArgumentException e) {
                // the record before it
            }
        }
        return Optional.empty();
    }

    /** Turns a record's bytes into a value; throws {@link IllegalArgumentException} for one it cannot read. */
    public interface Decoder<T> {
        T decode(byte[] bytes) throws IOException;
    }

    /** Removes the oldest records beyond the newest {@code count}. */
    public void keepNewest(int count) throws IOException {
        List<String> all = stamps();
        for (int i = 0; i < all.size() - count; i++) {
            objects.delete(prefix + all.get(i));
        }
    }

    /** Removes records stamped before {@code oldestKept}, never the newest. */
    public void removeBefore(String oldestKept) throws IOException {
        List<String> all = stamps();
        for (int i = 0; i < all.size() - 1; i++) {
            if (all.get(i).compareTo(oldestKept) < 0) {
                objects.delete(prefix + all.get(i));
            }
        }
    }
}
