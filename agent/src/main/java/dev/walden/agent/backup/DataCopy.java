package dev.walden.agent.backup;

import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.ObjectKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The copying stage of a backup, fed one listed file at a time in path order. Each file is compared with its
 * parent's entry (a sorted merge with the parent's manifest, {@link ParentFiles}), then either re-used unread,
 * gathered with its neighbours into a batch that becomes one bundle object, or cut into ranges of its own objects
 * (large files, compared block by block). Batches and ranges are copied on {@code threads} threads, and their
 * manifest entries go to the {@link ManifestWriter} in path order. What is held is a window of batches in flight,
 * each of at most {@link #BATCH_FILES} files: memory does not grow with the number of files.
 */
final class DataCopy implements AutoCloseable {
    /** Most files in one batch, so that a batch of unchanged or tiny files is bounded too. */
    static final int BATCH_FILES = 2000;

    /** What a finished batch or range does on the listing thread: add entries to the manifest, count its object. */
    @FunctionalInterface
    interface Done {
        void apply() throws IOException;
    }

    private final String id;
    private final BackupCatalog catalog;
    private final BackupObjects objects;
    private final BackupSettings settings;
    private final ParentFiles parent;
    /** What WAL summaries say changed since the parent; null when there are none to go by. */
    private final WalSummaryChanges summary;
    private final long parentStartNanos;
    private final boolean checksumAll;
    private final TransferProgress progress;
    private final AtomicBoolean stop;
    private final ManifestWriter manifest;
    private final OrderedWork<Done> work;
    private final List<Manifest.DataObject> stored = new ArrayList<>();
    private long storedBytes;
    private int lastObject;
    private Batch batch = new Batch();

    DataCopy(String id, BackupCatalog catalog, BackupObjects objects, BackupSettings settings, ParentFiles parent,
             long parentStartNanos, boolean checksumAll, TransferProgress progress, ManifestWriter manifest, AtomicBoolean stop,
             BooleanSupplier cancelled, ParallelFiles.Tick tick) {
        this(id, catalog, objects, settings, parent, null, parentStartNanos, checksumAll, progress, manifest, stop, cancelled, tick);
    }

    /** @param summary what WAL summaries say changed since the parent, or null */
    DataCopy(String id, BackupCatalog catalog, BackupObjects objects, BackupSettings settings, ParentFiles parent,
             WalSummaryChanges summary, long parentStartNanos, boolean checksumAll, TransferProgress progress, ManifestWriter manifest,
             AtomicBoolean stop, BooleanSupplier cancelled, ParallelFiles.Tick tick) {
        this.summary = summary;
        this.id = id;
        this.catalog = catalog;
        this.objects = objects;
        this.settings = settings;
        this.parent = parent;
        this.parentStartNanos = parentStartNanos;
        this.checksumAll = checksumAll;
        this.progress = progress;
        this.stop = stop;
        this.manifest = manifest;
        this.work = new OrderedWork<>("walden-backup", settings.threads(), settings.threads() * 2 + 2, Done::apply, stop,
                cancelled, tick);
    }

    /** The next file of the listing. */
    void add(DataDirectoryScan.ListedFile file) throws Exception {
        progress.plan(file.size());
        Manifest.FileEntry before = parent.find(file.path());
        Optional<WalSummaryChanges.Changes> changes = summary == null ? Optional.empty() : summary.find(file.path());
        if (before != null && changes.isPresent()) {
            // A relation file, and WAL summaries say which of its blocks changed since the parent.
            if (changes.get().none() && before.size() == file.size()) {
                batch.items.add(new Item(file, before, true));
                progress.addBytes(file.size());
                progress.fileDone();
            } else if (file.size() > settings.bundleFileLimit()) {
                flush();
                copyLarge(file, Optional.of(before), changes);
            } else {
                batch.items.add(new Item(file, null, false));
                batch.bytes += file.size();
            }
        } else if (before != null && !checksumAll && before.size() == file.size() && before.mtimeNanos() == file.mtimeNanos()
                && file.mtimeNanos() < parentStartNanos - BaseBackups.MTIME_SAFETY_NANOS) {
            // Unchanged size and modification time, older than the parent's start (as pgBackRest judges it): not read.
            batch.items.add(new Item(file, before, true));
            progress.addBytes(file.size());
            progress.fileDone();
        } else if (file.size() > settings.bundleFileLimit()) {
            flush();
            copyLarge(file, Optional.ofNullable(before), Optional.empty());  // compared block by block as it is copied (BlockSource)
        } else {
            batch.items.add(new Item(file, before != null && before.size() == file.size() ? before : null, false));
            batch.bytes += file.size();
        }
        if (batch.items.size() >= BATCH_FILES || batch.bytes >= settings.bundleBytes()) {
            flush();
        }
    }

    /** Copies what is left and adds every entry to the manifest. */
    void finish() throws Exception {
        flush();
        work.finish();
    }

    /** This backup's own data objects, by number. */
    List<Manifest.DataObject> stored() {
        return stored.stream().sorted(Comparator.comparingInt(Manifest.DataObject::number)).toList();
    }

    long storedBytes() {
        return storedBytes;
    }

    @Override
    public void close() {
        work.close();
    }

    /** A listed file, with its parent's entry when that may be re-used ({@code unchanged}) or compared. */
    private record Item(DataDirectoryScan.ListedFile file, Manifest.FileEntry before, boolean unchanged) {}

    private static final class Batch {
        final List<Item> items = new ArrayList<>();
        long bytes;

        boolean copies() {
            return items.stream().anyMatch(i -> !i.unchanged());
        }
    }

    private void flush() throws Exception {
        if (batch.items.isEmpty()) {
            return;
        }
        Batch full = batch;
        batch = new Batch();
        int number = full.copies() ? ++lastObject : -1;
        work.submit(() -> copyBatch(full, number));
    }

    /** On a copying thread: re-uses what is unchanged, compares what may be, bundles the rest into object {@code number}. */
    private Done copyBatch(Batch batch, int number) throws IOException {
        List<Manifest.FileEntry> entries = new ArrayList<>();
        List<DataDirectoryScan.ListedFile> toCopy = new ArrayList<>();
        for (Item item : batch.items) {
            if (stop.get()) {
                throw new IOException("stopped");
            }
            if (item.unchanged()) {
                entries.add(reused(item.before(), item.file()));
            } else if (item.before() != null) {
                // Same size but possibly changed: re-use only when the checksum says the bytes are the same.
                Optional<String> checksum = FileChecksum.of(item.file().location(), item.file().size());
                if (checksum.isPresent() && checksum.get().equals(item.before().sha256())) {
                    entries.add(reused(item.before(), item.file()));
                    progress.addBytes(item.file().size());
                    progress.fileDone();
                } else if (checksum.isPresent()) {
                    toCopy.add(item.file());
                }  // else it vanished: WAL replay recreates what is needed
            } else {
                toCopy.add(item.file());
            }
        }
        Manifest.DataObject object = null;
        if (!toCopy.isEmpty()) {
            BundleSource source = new BundleSource(toCopy, progress, stop);
            try {
                BackupObjects.Stored written = objects.write(catalog.dataKey(id, number), BackupCatalog.dataName(id, number),
                        ObjectKind.BACKUP_DATA, source);
                object = new Manifest.DataObject(number, written.originalBytes(), written.storedBytes());
                for (BundleSource.Copied copied : source.copied()) {
                    DataDirectoryScan.ListedFile f = copied.file();
                    entries.add(new Manifest.FileEntry(f.path(), copied.length(), f.mtimeNanos(), f.mode(), copied.sha256(), id,
                            copied.length() == 0 ? -1 : number, copied.offset()));
                }
            } finally {
                source.close();
            }
        }
        entries.sort(Comparator.comparing(Manifest.FileEntry::path, PathOrder.PATHS));
        Manifest.DataObject written = object;
        return () -> {
            if (written != null) {
                stored.add(written);
                storedBytes += written.storedBytes();
            }
            for (Manifest.FileEntry entry : entries) {
                manifest.add(entry);
            }
        };
    }

    /** A large file: one object per range of it, its entry once the last range is back. */
    private void copyLarge(DataDirectoryScan.ListedFile file, Optional<Manifest.FileEntry> before,
                           Optional<WalSummaryChanges.Changes> changes) throws Exception {
        long rangeCount = Math.max(1, (file.size() + BlockSource.RANGE_BYTES - 1) / BlockSource.RANGE_BYTES);
        int first = lastObject + 1;
        List<BlockSource.Range> ranges = new ArrayList<>();  // filled on the listing thread, in order
        for (int range = 0; range < rangeCount; range++) {
            int number = ++lastObject;
            int index = range;
            boolean last = range == rangeCount - 1;
            work.submit(() -> {
                BlockSource source = new BlockSource(file, index, before, changes, id, number, progress, stop);
                try {
                    BackupObjects.Stored written = objects.write(catalog.dataKey(id, number), BackupCatalog.dataName(id, number),
                            ObjectKind.BACKUP_DATA, source);
                    BlockSource.Range copied = source.range();
                    return () -> {
                        stored.add(new Manifest.DataObject(number, written.originalBytes(), written.storedBytes()));
                        storedBytes += written.storedBytes();
                        ranges.add(copied);
                        if (last) {
                            Optional<Manifest.FileEntry> entry = BlockSource.entry(file, ranges, id, first);
                            if (entry.isPresent()) {
                                manifest.add(entry.get());
                            }
                            progress.fileDone();
                        }
                    };
                } finally {
                    source.close();
                }
            });
        }
    }

    static Manifest.FileEntry reused(Manifest.FileEntry before, DataDirectoryScan.ListedFile now) {
        return new Manifest.FileEntry(now.path(), before.size(), now.mtimeNanos(), now.mode(), before.sha256(), before.backup(),
                before.object(), before.offset(), before.blocks());
    }
}
