package dev.walden.agent.guard;

import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.storage.ObjectNotFoundException;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The guard's local, durable record of WAL it dropped ({@code spill-path/dropped-wal/NAME}, one small object each, in
 * the spill's store, so written as every local object is: temporary file, fsync, rename, directory fsync), written
 * before the drop is acknowledged — the repository is down then — and turned into {@link WalGap} records in the
 * repository once it answers. A drop is thus never forgotten, whatever restarts in between.
 */
final class DropJournal {
    private static final String PREFIX = "dropped-wal/";

    /** One dropped file as the journal holds it. */
    record Entry(WalFileName name, long systemIdentifier, long size, Instant at) {}

    private final Storage store;

    /** @param store the spill's local store */
    DropJournal(Storage store) {
        this.store = store;
    }

    /** Records a drop durably; a drop already recorded (PostgreSQL asked again) stays as it was. */
    void add(WalFileName name, long systemIdentifier, long size, Instant at) throws IOException {
        String text = "system " + Long.toUnsignedString(systemIdentifier) + "\nsize " + size + "\nat " + at + "\n";
        store.putIfAbsent(PREFIX + name.name(), out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** What the journal holds, by name. */
    List<Entry> entries() throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (String key : store.list(PREFIX)) {
            String text;
            try (InputStream in = store.open(key)) {
                text = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
            } catch (ObjectNotFoundException recordedMeanwhile) {
                continue;
            }
            long system = 0;
            long size = 0;
            Instant at = Instant.EPOCH;
            for (String line : text.split("\n")) {
                if (line.startsWith("system ")) {
                    system = Long.parseUnsignedLong(line.substring(7).strip());
                } else if (line.startsWith("size ")) {
                    size = Long.parseLong(line.substring(5).strip());
                } else if (line.startsWith("at ")) {
                    at = Instant.parse(line.substring(3).strip());
                }
            }
            entries.add(new Entry(WalFileName.parse(key.substring(PREFIX.length())), system, size, at));
        }
        entries.sort(Comparator.comparing(e -> e.name().name()));
        return entries;
    }

    /**
     * Records every run of consecutive dropped segments as a {@link WalGap} in the repository, then forgets them.
     *
     * @return the gaps recorded
     * @throws IOException when the repository fails: what is not recorded stays in the journal for the next try
     */
    List<WalGap> recordIn(BackupObjects objects) throws IOException {
        List<Entry> entries = entries();
        List<WalGap> recorded = new ArrayList<>();
        List<Entry> run = new ArrayList<>();
        for (Entry entry : entries) {
            if (!run.isEmpty() && !follows(run.get(run.size() - 1), entry)) {
                recorded.add(record(objects, run));
                run.clear();
            }
            run.add(entry);
        }
        if (!run.isEmpty()) {
            recorded.add(record(objects, run));
        }
        return recorded;
    }

    private static boolean follows(Entry previous, Entry next) {
        return previous.systemIdentifier() == next.systemIdentifier() && previous.name().timeline() == next.name().timeline()
                && previous.size() == next.size() && next.name().segmentNumber(next.size()) == previous.name().segmentNumber(previous.size()) + 1;
    }

    private WalGap record(BackupObjects objects, List<Entry> run) throws IOException {
        Entry first = run.get(0);
        Entry last = run.get(run.size() - 1);
        Instant from = run.stream().map(Entry::at).min(Instant::compareTo).orElseThrow();
        Instant to = run.stream().map(Entry::at).max(Instant::compareTo).orElseThrow();
        WalGap gap = new WalGap(first.name().timeline(), first.name().name(), last.name().name(), run.size(), first.size(), from, to);
        WalGap.record(objects, first.systemIdentifier(), gap);
        store.deleteAll(run.stream().map(e -> PREFIX + e.name().name()).toList());
        return gap;
    }
}
