package dev.walden.agent.backup;

import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.storage.ObjectNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The backups of one cluster in the repository, and the one place that knows their keys (docs/format.md):
 *
 * <pre>
 * SYSID/backup/ID/data/NNNNNN     file bytes: one large file, or a bundle of small ones
 * SYSID/backup/ID/manifest        the manifest, written once every data object is durable
 * SYSID/backup/ID/commit          the commit record, written last: a backup without one is not complete
 * SYSID/backup/ID/hold-MILLIS     a hold set at MILLIS (newest wins); retention never expires a held backup
 * SYSID/backup/ID/expiring        written before an expiry deletes the commit record: the rest is a leftover
 * SYSID/backup/ID/tier-CLASS      its data objects were moved to storage class CLASS (retention's monthly/yearly tiers)
 * SYSID/backup/lock               held while a backup or an expiry runs
 * </pre>
 *
 * Every other component that reads backups (restore, retention, verify, and later drills) goes through this class.
 */
public final class BackupCatalog {
    /** Manifests are streamed, never held: the limit only stops a runaway object filling the scratch disk. */
    static final long MAX_MANIFEST_BYTES = 64L << 30;
    static final long MAX_COMMIT_BYTES = 1 << 20;
    private static final String HOLD_PREFIX = "hold-";
    private static final String TIER_PREFIX = "tier-";
    private static final String COMMIT = "commit";
    private static final String MANIFEST = "manifest";
    private static final String EXPIRING = "expiring";

    private final BackupObjects objects;
    private final long systemIdentifier;

    public BackupCatalog(BackupObjects objects, long systemIdentifier) {
        this.objects = objects;
        this.systemIdentifier = systemIdentifier;
    }

    public BackupObjects objects() {
        return objects;
    }

    public long systemIdentifier() {
        return systemIdentifier;
    }

    /** The cluster's archived WAL, beside its backups. */
    public dev.walden.agent.repository.WalArchive wal() {
        return objects.walArchive(systemIdentifier);
    }

    String prefix() {
        return Long.toUnsignedString(systemIdentifier) + "/backup/";
    }

    String lockKey() {
        return prefix() + "lock";
    }

    public String dataKey(String backupId, int object) {
        return prefix() + backupId + "/data/" + String.format("%06d", object);
    }

    /** The name bound into a data object's header: a copy under another key fails to read. */
    public static String dataName(String backupId, int object) {
        return backupId + "/data/" + String.format("%06d", object);
    }

    /**
     * The backups of the catalog, in three kinds that a crash or damage can never confuse:
     *
     * @param complete   committed and restorable: the commit record reads, and every backup it reads objects of is
     *                   complete too; oldest first
     * @param incomplete leftovers of interrupted backups (no manifest, no commit record) and of interrupted expiries
     *                   (an {@code expiring} marker): the only ones a backup or an expiry may delete
     * @param unusable   backups that hold a manifest or a commit record but cannot be restored as they stand: a damaged
     *                   commit record, a manifest without a commit record, or a chain with a link missing. Never deleted
     *                   as leftovers, never built upon; reported by list, status and verify
     */
    public record Listing(List<BackupSummary> complete, List<String> incomplete, List<Unusable> unusable) {
        public Listing {
            complete = List.copyOf(complete);
            incomplete = List.copyOf(incomplete);
            unusable = List.copyOf(unusable);
        }

        public Listing(List<BackupSummary> complete, List<String> incomplete) {
            this(complete, incomplete, List.of());
        }

        public Optional<BackupSummary> find(String id) {
            return complete.stream().filter(b -> b.id().equals(id)).findFirst();
        }

        public Optional<Unusable> findUnusable(String id) {
            return unusable.stream().filter(b -> b.id().equals(id)).findFirst();
        }

        /** The newest complete backup, if any. */
        public Optional<BackupSummary> newest() {
            return complete.isEmpty() ? Optional.empty() : Optional.of(complete.get(complete.size() - 1));
        }
    }

    /**
     * A backup that cannot be restored as it stands, and why.
     *
     * @param uncommitted it has a manifest but no commit record: {@code walden backup commit ID} may commit it after
     *                    checking every object it needs
     */
    public record Unusable(String id, String reason, boolean uncommitted) {}

    /** The objects a backup has, as one listing shows them. */
    private static final class Present {
        boolean commit;
        boolean manifest;
        boolean expiring;
    }

    /** Lists the catalog, oldest first; reads each commit record, never a manifest. Damage to one backup stays with it. */
    public Listing list() throws IOException, CatalogException {
        TreeMap<String, Present> found = new TreeMap<>();
        String prefix = prefix();
        // Streamed: what is held is a few flags per backup, not a key per data object.
        objects.forEachObject(prefix, object -> {
            String rest = object.key().substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash <= 0) {
                return;  // the lock
            }
            Present present = found.computeIfAbsent(rest.substring(0, slash), k -> new Present());
            switch (rest.substring(slash + 1)) {
                case COMMIT -> present.commit = true;
                case MANIFEST -> present.manifest = true;
                case EXPIRING -> present.expiring = true;
                default -> { }
            }
        });
        List<BackupSummary> committed = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        List<Unusable> unusable = new ArrayList<>();
        for (var entry : found.entrySet()) {
            String id = entry.getKey();
            Present present = entry.getValue();
            if (present.expiring || (!present.commit && !present.manifest)) {
                incomplete.add(id);
            } else if (!present.commit) {
                unusable.add(new Unusable(id, "it has a manifest but no commit record (an interruption between the two, or a"
                        + " deleted record), so it is not offered for restore. HINT: walden backup commit " + id
                        + " checks every object it needs and commits it", true));
            } else {
                try {
                    committed.add(readCommit(id));
                } catch (ObjectNotFoundException deletedMeanwhile) {
                    incomplete.add(id);
                } catch (CatalogException e) {
                    unusable.add(new Unusable(id, e.getMessage() + "; it is not offered for restore, and no backup is built on it."
                            + " HINT: walden verify; a keyring that still has the backup's key reads it again", false));
                }
            }
        }
        committed.sort(Comparator.comparing(BackupSummary::stopped).thenComparing(BackupSummary::id));
        // A chain is complete only when every link is: a child whose parent is gone or damaged is not restorable.
        List<BackupSummary> complete = new ArrayList<>(committed);
        boolean changed = true;
        while (changed) {
            changed = false;
            java.util.Set<String> ids = new java.util.HashSet<>();
            complete.forEach(b -> ids.add(b.id()));
            for (var it = complete.iterator(); it.hasNext(); ) {
                BackupSummary backup = it.next();
                Optional<String> missing = backup.references().stream().filter(r -> !ids.contains(r)).findFirst();
                if (missing.isPresent()) {
                    it.remove();
                    changed = true;
                    unusable.add(new Unusable(backup.id(), "it needs backup " + missing.get() + ", which is not complete, so it"
                            + " cannot be restored and no backup is built on it. HINT: walden backup list; walden verify", false));
                }
            }
        }
        unusable.sort(Comparator.comparing(Unusable::id));
        return new Listing(complete, incomplete, unusable);
    }

    private BackupSummary readCommit(String id) throws IOException, CatalogException {
        try {
            BackupSummary summary = ManifestJson.decodeCommit(objects.readBytes(prefix() + id + "/" + COMMIT, id + "/" + COMMIT,
                    ObjectKind.BACKUP_COMMIT, MAX_COMMIT_BYTES));
            if (!summary.id().equals(id)) {
                throw new CatalogException("the commit record of backup " + id + " names another backup, " + summary.id());
            }
            return summary;
        } catch (CorruptObjectException | ManifestJson.FormatException e) {
            throw new CatalogException("the commit record of backup " + id + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * Opens a backup's manifest for reading as a stream, once. The object is first read, authenticated and checked
     * whole into a compressed scratch file (so nothing of a damaged or forged manifest is acted on), then parsed from
     * there.
     */
    public ManifestReader openManifest(String id) throws IOException, CatalogException {
        try (LocalManifest local = fetchManifest(id)) {
            return local.open();  // the open file stays readable; its name is gone
        }
    }

    /**
     * A manifest fetched into a local scratch file, to be read as often as needed (a restore checks it whole before
     * it writes a file, then restores from it); the file is removed on close.
     */
    public LocalManifest fetchManifest(String id) throws IOException, CatalogException {
        ScratchFile scratch = ScratchFile.create(objects.scratch(), "read");
        boolean fetched = false;
        try {
            try (var out = scratch.writeChannel()) {
                objects.read(prefix() + id + "/manifest", id + "/manifest", ObjectKind.BACKUP_MANIFEST, MAX_MANIFEST_BYTES, out);
            }
            LocalManifest local = new LocalManifest(id, scratch);
            local.open().close();  // the header is readable: a manifest of another format fails here, not later
            fetched = true;
            return local;
        } catch (ObjectNotFoundException e) {
            throw new CatalogException("backup " + id + " has no manifest (it never completed)");
        } catch (CorruptObjectException e) {
            throw new CatalogException("the manifest of backup " + id + " cannot be read: " + e.getMessage());
        } finally {
            if (!fetched) {
                scratch.close();
            }
        }
    }

    /** A manifest in a local scratch file. */
    public static final class LocalManifest implements AutoCloseable {
        private final String id;
        private final ScratchFile file;

        LocalManifest(String id, ScratchFile file) {
            this.id = id;
            this.file = file;
        }

        /** A reader from the first file on. */
        public ManifestReader open() throws IOException, CatalogException {
            try {
                return ManifestReader.open(file.read());
            } catch (ManifestJson.FormatException e) {
                throw new CatalogException("the manifest of backup " + id + " cannot be read: " + e.getMessage());
            }
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    /** A manifest's header, without its files. */
    public Manifest.Header manifestHeader(String id) throws IOException, CatalogException {
        try (ManifestReader reader = openManifest(id)) {
            return reader.header();
        }
    }

    /** A whole manifest in memory: for tests and tools only, never for a backup of any size. */
    public Manifest manifest(String id) throws IOException, CatalogException {
        try (ManifestReader reader = openManifest(id)) {
            java.util.List<Manifest.FileEntry> files = new java.util.ArrayList<>();
            for (Manifest.FileEntry f = reader.next(); f != null; f = reader.next()) {
                files.add(f);
            }
            Manifest.Header h = reader.header();
            return new Manifest(h.summary(), h.backupLabel(), h.tablespaceMap(), h.tablespaces(), h.directories(), files,
                    h.objects(), h.rowCounts());
        } catch (ManifestJson.FormatException e) {
            throw new CatalogException("the manifest of backup " + id + " cannot be read: " + e.getMessage());
        }
    }

    /** Stores a manifest held in memory; returns the bytes stored. */
    long writeManifest(Manifest manifest) throws IOException {
        String id = manifest.summary().id();
        return objects.writeBytes(prefix() + id + "/manifest", id + "/manifest", ObjectKind.BACKUP_MANIFEST,
                ManifestJson.encode(manifest)).storedBytes();
    }

    /** Stores a manifest whose files {@code writer} spooled; returns the bytes stored. */
    long writeManifest(Manifest.Header header, ManifestWriter writer) throws IOException {
        String id = header.summary().id();
        return objects.write(prefix() + id + "/manifest", id + "/manifest", ObjectKind.BACKUP_MANIFEST, writer.source(header))
                .storedBytes();
    }

    /** Makes the backup complete. Called last, once its data, manifest and WAL are durable. */
    void commit(BackupSummary summary) throws IOException {
        String id = summary.id();
        objects.writeBytes(prefix() + id + "/commit", id + "/commit", ObjectKind.BACKUP_COMMIT, ManifestJson.encodeCommit(summary));
    }

    /**
     * Removes what an interrupted backup or expiry left. Never called for a complete or an unusable one: the caller
     * takes the id from {@link Listing#incomplete()}. The {@code expiring} marker goes last, so that a crash here
     * leaves a leftover that is still recognised as one.
     */
    public void removeIncomplete(String id) throws IOException {
        String marker = prefix() + id + "/" + EXPIRING;
        List<String> keys = new ArrayList<>(objects.list(prefix() + id + "/"));
        boolean marked = keys.remove(marker);
        // Without a commit record the backup is no longer listed complete, so its objects go in any order, in batches.
        objects.deleteAll(keys);
        if (marked) {
            objects.delete(marker);
        }
    }

    /**
     * Deletes complete backups so that a crash at any step never leaves a backup listed that cannot be restored:
     * first, children before parents, each gets an {@code expiring} marker and loses its commit record (from then on
     * it is a leftover); only then are objects deleted. The caller holds the backup lock and has made sure that no
     * kept backup reads their objects.
     */
    public void delete(List<BackupSummary> backups, java.util.function.Consumer<String> progress) throws IOException {
        List<BackupSummary> childrenFirst = new ArrayList<>(backups);
        childrenFirst.sort(Comparator.comparing(BackupSummary::stopped).thenComparing(BackupSummary::id).reversed());
        for (BackupSummary backup : childrenFirst) {
            String id = backup.id();
            String name = id + "/" + EXPIRING;
            objects.writeBytes(prefix() + name, name, ObjectKind.BACKUP_EXPIRING, new byte[0]);
            objects.delete(prefix() + id + "/" + COMMIT);
        }
        for (BackupSummary backup : childrenFirst) {
            progress.accept("expiring backup " + backup.id());
            removeIncomplete(backup.id());
        }
    }

    /**
     * Commits a backup that has a manifest but lost its commit record (or never got one), once the caller has
     * checked every object it needs. The record is the manifest's summary, with the manifest's own size counted.
     */
    public BackupSummary recommit(String id, long manifestStoredBytes) throws IOException, CatalogException {
        BackupSummary draft = manifest(id).summary();
        BackupSummary summary = new BackupSummary(draft.id(), draft.type(), draft.parent(), draft.references(), draft.started(),
                draft.stopped(), draft.startLsn(), draft.stopLsn(), draft.timeline(), draft.walSegmentSize(), draft.bytes(),
                draft.storedBytes() + manifestStoredBytes, draft.pgVersion(), draft.systemIdentifier());
        commit(summary);
        return summary;
    }

    /** The key of a backup's manifest, for the checks that read it whole. */
    public String manifestKey(String id) {
        return prefix() + id + "/" + MANIFEST;
    }

    /** The bytes a backup's manifest takes in the repository (0 when it has none). */
    public long manifestBytes(String id) throws IOException {
        long[] bytes = {0};
        String key = manifestKey(id);
        objects.forEachObject(key, object -> {
            if (object.key().equals(key)) {
                bytes[0] = object.size();
            }
        });
        return bytes[0];
    }

    /** Hands each object a backup stored (data, manifest, commit record, holds) to {@code visitor}, as the listing streams. */
    public void forEachObjectOf(String id, java.util.function.Consumer<dev.walden.agent.storage.Storage.StoredObject> visitor)
            throws IOException {
        objects.forEachObject(prefix() + id + "/", visitor);
    }

    /**
     * The storage class a backup's data objects were moved to, by its tier marker; empty while they are where they
     * were written. Only data objects ever move: the manifest, commit record and holds stay readable at once.
     */
    public Optional<String> storageClass(String id) throws IOException {
        List<String> markers = objects.list(prefix() + id + "/" + TIER_PREFIX);
        return markers.isEmpty() ? Optional.empty()
                : Optional.of(markers.get(markers.size() - 1).substring(markers.get(markers.size() - 1).lastIndexOf(TIER_PREFIX) + TIER_PREFIX.length()));
    }

    /**
     * Moves a backup's data objects to {@code storageClass} inside the store (a server-side copy each, never through
     * the agent), then records it with a tier marker. Safe to repeat: an object already there is left alone.
     *
     * @return how many objects were moved
     */
    public long moveData(String id, String storageClass) throws IOException {
        long[] moved = {0};
        forEachDataObject(id, key -> {
            if (!objects.storageClass(key).map(storageClass::equals).orElse(false)) {
                objects.changeStorageClass(key, storageClass);
                moved[0]++;
            }
        });
        List<String> earlier = objects.list(prefix() + id + "/" + TIER_PREFIX);
        objects.createMarker(prefix() + id + "/" + TIER_PREFIX + storageClass, "data objects in " + storageClass + "\n");
        for (String marker : earlier) {
            if (!marker.endsWith("/" + TIER_PREFIX + storageClass)) {
                objects.delete(marker);
            }
        }
        return moved[0];
    }

    /** How a backup's data objects stand for reading: ready, asked for and on their way, or still archived. */
    public record Retrieval(long readable, long retrieving, long archived, long requestedNow) {
        public boolean ready() {
            return retrieving == 0 && archived == 0;
        }
    }

    /**
     * Looks at every data object of a backup kept in an archive class and, with {@code request}, asks the store to
     * retrieve each one still archived (for {@code days} days, at {@code speed}); returns at once.
     */
    public Retrieval retrieve(String id, boolean request, int days, String speed) throws IOException {
        long[] counts = new long[4];
        forEachDataObject(id, key -> {
            switch (objects.retrieval(key)) {
                case READABLE -> counts[0]++;
                case RETRIEVING -> counts[1]++;
                case ARCHIVED -> {
                    if (request) {
                        objects.requestRetrieval(key, days, speed);
                        counts[3]++;
                        counts[1]++;
                    } else {
                        counts[2]++;
                    }
                }
            }
        });
        return new Retrieval(counts[0], counts[1], counts[2], counts[3]);
    }

    @FunctionalInterface
    private interface DataObjectAction {
        void apply(String key) throws IOException;
    }

    /** Runs {@code action} on each data object of a backup as the listing streams, a batch at a time. */
    private void forEachDataObject(String id, DataObjectAction action) throws IOException {
        String data = prefix() + id + "/data/";
        List<String> batch = new ArrayList<>();
        try {
            objects.forEachObject(data, object -> {
                batch.add(object.key());
                if (batch.size() >= 1000) {
                    applyAll(batch, action);
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        try {
            applyAll(batch, action);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void applyAll(List<String> batch, DataObjectAction action) {
        try {
            for (String key : batch) {
                action.apply(key);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        batch.clear();
    }

    /** The bytes each backup's objects take in the repository, by backup id (one listing). */
    public java.util.Map<String, Long> storedBytes() throws IOException {
        java.util.Map<String, Long> bytes = new TreeMap<>();
        String prefix = prefix();
        objects.forEachObject(prefix, object -> {
            String rest = object.key().substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash > 0) {
                bytes.merge(rest.substring(0, slash), object.size(), Long::sum);
            }
        });
        return bytes;
    }

    /** Every hold in the catalog, the newest per backup; holds on backups no longer listed are left out by callers. */
    public List<Hold> holds() throws IOException, CatalogException {
        TreeMap<String, String> newest = new TreeMap<>();
        String prefix = prefix();
        objects.forEachObject(prefix, object -> {
            String key = object.key();
            String rest = key.substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash > 0 && rest.startsWith(HOLD_PREFIX, slash + 1)) {
                newest.merge(rest.substring(0, slash), key, (a, b) -> holdMillis(a) >= holdMillis(b) ? a : b);
            }
        });
        List<Hold> holds = new ArrayList<>();
        for (String key : newest.values()) {
            String name = key.substring(prefix.length());
            try {
                holds.add(ManifestJson.decodeHold(objects.readBytes(key, name, ObjectKind.BACKUP_HOLD, MAX_COMMIT_BYTES)));
            } catch (ObjectNotFoundException releasedMeanwhile) {
                // released while listing
            } catch (CorruptObjectException | ManifestJson.FormatException e) {
                throw new CatalogException("the hold " + name + " cannot be read: " + e.getMessage());
            }
        }
        return holds;
    }

    private static long holdMillis(String key) {
        try {
            return Long.parseLong(key.substring(key.lastIndexOf(HOLD_PREFIX) + HOLD_PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Sets a hold, replacing any earlier one: the new hold is stored before the old ones are removed, so that a crash
     * in between leaves the backup held, never unheld.
     */
    public void hold(Hold hold) throws IOException {
        String id = hold.backupId();
        List<String> earlier = objects.list(prefix() + id + "/" + HOLD_PREFIX);
        long millis = Math.max(hold.since().toEpochMilli(), earlier.stream().mapToLong(BackupCatalog::holdMillis).max().orElse(-1) + 1);
        String name = id + "/" + HOLD_PREFIX + millis;
        objects.writeBytes(prefix() + name, name, ObjectKind.BACKUP_HOLD, ManifestJson.encodeHold(hold));
        for (String key : earlier) {
            objects.delete(key);
        }
    }

    /** Lifts every hold on a backup; returns whether there was one. */
    public boolean release(String id) throws IOException {
        List<String> holds = objects.list(prefix() + id + "/" + HOLD_PREFIX);
        for (String key : holds) {
            objects.delete(key);
        }
        return !holds.isEmpty();
    }

    /** The catalog cannot be read: a damaged record, or one this agent cannot read. */
    public static final class CatalogException extends Exception {
        public CatalogException(String message) {
            super(message);
        }
    }
}
