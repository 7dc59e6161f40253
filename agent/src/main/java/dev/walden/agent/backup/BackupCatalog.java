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
 * SYSID/backup/lock               held while a backup or an expiry runs
 * </pre>
 *
 * Every other component that reads backups (restore, retention, verify, and later drills) goes through this class.
 */
public final class BackupCatalog {
    /** Manifests name every file of a data directory; a million files make about 300 MB of JSON. */
    static final long MAX_MANIFEST_BYTES = 1L << 30;
    static final long MAX_COMMIT_BYTES = 1 << 20;
    private static final String HOLD_PREFIX = "hold-";

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

    /** The backups with a commit record (complete) and those without (interrupted, or running), by id. */
    public record Listing(List<BackupSummary> complete, List<String> incomplete) {
        public Optional<BackupSummary> find(String id) {
            return complete.stream().filter(b -> b.id().equals(id)).findFirst();
        }

        /** The newest complete backup, if any. */
        public Optional<BackupSummary> newest() {
            return complete.isEmpty() ? Optional.empty() : Optional.of(complete.get(complete.size() - 1));
        }
    }

    /** Lists the catalog, oldest first; reads each commit record, never a manifest. */
    public Listing list() throws IOException, CatalogException {
        TreeMap<String, Boolean> committed = new TreeMap<>();
        String prefix = prefix();
        for (String key : objects.storage().list(prefix)) {
            String rest = key.substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash <= 0) {
                continue;  // the lock
            }
            String id = rest.substring(0, slash);
            boolean commit = rest.substring(slash + 1).equals("commit");
            committed.merge(id, commit, Boolean::logicalOr);
        }
        List<BackupSummary> complete = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        for (var entry : committed.entrySet()) {
            if (entry.getValue()) {
                complete.add(readCommit(entry.getKey()));
            } else {
                incomplete.add(entry.getKey());
            }
        }
        complete.sort(Comparator.comparing(BackupSummary::stopped).thenComparing(BackupSummary::id));
        return new Listing(complete, incomplete);
    }

    private BackupSummary readCommit(String id) throws IOException, CatalogException {
        try {
            return ManifestJson.decodeCommit(objects.readBytes(prefix() + id + "/commit", id + "/commit", ObjectKind.BACKUP_COMMIT,
                    MAX_COMMIT_BYTES));
        } catch (CorruptObjectException | ManifestJson.FormatException e) {
            throw new CatalogException("the commit record of backup " + id + " cannot be read: " + e.getMessage());
        }
    }

    public Manifest manifest(String id) throws IOException, CatalogException {
        try {
            return ManifestJson.decodeManifest(objects.readBytes(prefix() + id + "/manifest", id + "/manifest",
                    ObjectKind.BACKUP_MANIFEST, MAX_MANIFEST_BYTES));
        } catch (ObjectNotFoundException e) {
            throw new CatalogException("backup " + id + " has no manifest (it never completed)");
        } catch (CorruptObjectException | ManifestJson.FormatException e) {
            throw new CatalogException("the manifest of backup " + id + " cannot be read: " + e.getMessage());
        }
    }

    /** Stores the manifest; returns the bytes stored. */
    long writeManifest(Manifest manifest) throws IOException {
        String id = manifest.summary().id();
        return objects.writeBytes(prefix() + id + "/manifest", id + "/manifest", ObjectKind.BACKUP_MANIFEST,
                ManifestJson.encode(manifest)).storedBytes();
    }

    /** Makes the backup complete. Called last, once its data, manifest and WAL are durable. */
    void commit(BackupSummary summary) throws IOException {
        String id = summary.id();
        objects.writeBytes(prefix() + id + "/commit", id + "/commit", ObjectKind.BACKUP_COMMIT, ManifestJson.encodeCommit(summary));
    }

    /** Removes what an interrupted backup left. Never called for a complete one. */
    public void removeIncomplete(String id) throws IOException {
        for (String key : objects.storage().list(prefix() + id + "/")) {
            objects.storage().delete(key);
        }
    }

    /**
     * Deletes a complete backup so that a crash part-way never leaves it listed but unrestorable: the commit record
     * goes first (from then on it is an interrupted leftover that the next expiry or backup removes), then the rest.
     * The caller holds the backup lock and has made sure no kept backup reads its objects.
     */
    public void delete(String id) throws IOException {
        objects.storage().delete(prefix() + id + "/commit");
        removeIncomplete(id);
    }

    /** The bytes each backup's objects take in the repository, by backup id (one listing). */
    public java.util.Map<String, Long> storedBytes() throws IOException {
        java.util.Map<String, Long> bytes = new TreeMap<>();
        String prefix = prefix();
        for (var object : objects.storage().listObjects(prefix)) {
            String rest = object.key().substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash > 0) {
                bytes.merge(rest.substring(0, slash), object.size(), Long::sum);
            }
        }
        return bytes;
    }

    /** Every hold in the catalog, the newest per backup; holds on backups no longer listed are left out by callers. */
    public List<Hold> holds() throws IOException, CatalogException {
        TreeMap<String, String> newest = new TreeMap<>();
        String prefix = prefix();
        for (String key : objects.storage().list(prefix)) {
            String rest = key.substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash > 0 && rest.startsWith(HOLD_PREFIX, slash + 1)) {
                newest.merge(rest.substring(0, slash), key, (a, b) -> holdMillis(a) >= holdMillis(b) ? a : b);
            }
        }
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
        List<String> earlier = objects.storage().list(prefix() + id + "/" + HOLD_PREFIX);
        long millis = Math.max(hold.since().toEpochMilli(), earlier.stream().mapToLong(BackupCatalog::holdMillis).max().orElse(-1) + 1);
        String name = id + "/" + HOLD_PREFIX + millis;
        objects.writeBytes(prefix() + name, name, ObjectKind.BACKUP_HOLD, ManifestJson.encodeHold(hold));
        for (String key : earlier) {
            objects.storage().delete(key);
        }
    }

    /** Lifts every hold on a backup; returns whether there was one. */
    public boolean release(String id) throws IOException {
        List<String> holds = objects.storage().list(prefix() + id + "/" + HOLD_PREFIX);
        for (String key : holds) {
            objects.storage().delete(key);
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
