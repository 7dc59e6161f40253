package dev.walden.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.NoCompression;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.storage.LocalDirectoryStorage;
import dev.walden.agent.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog's promise (docs/format.md): a backup listed complete can always be restored. A crash at any step of an
 * expiry, a deleted or damaged commit record, never leaves one listed that cannot, and never turns a whole backup into
 * a leftover that the next backup would delete.
 */
class CatalogDamageTest {
    static final long SYSTEM = 7_000_000_000_000_000_001L;
    static final String FULL = "20261201-020000F";
    static final String INCR1 = "20261201-080000I";
    static final String INCR2 = "20261201-140000I";
    static final String OTHER = "20261202-020000F";

    @TempDir
    Path directory;

    /** Counts mutations and fails the n-th one, as a crash there would stop the expiry. */
    static final class CrashingStorage extends dev.walden.agent.testing.ForwardingStorage {
        final int crashAt;
        final AtomicInteger mutations = new AtomicInteger();

        CrashingStorage(Storage inner, int crashAt) {
            super(inner);
            this.crashAt = crashAt;
        }

        private void step() throws IOException {
            if (mutations.getAndIncrement() == crashAt) {
                throw new IOException("killed at step " + crashAt);
            }
        }

        @Override
        public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
            step();
            return inner.putIfAbsent(key, writer);
        }

        @Override
        public void delete(String key) throws IOException {
            step();
            inner.delete(key);
        }

        @Override
        public String describe() {
            return "crashing " + inner.describe();
        }

        @Override
        public void close() {}
    }

    static BackupSummary summary(String id, BackupType type, Optional<String> parent, List<String> references, String stopped) {
        return new BackupSummary(id, type, parent, references, Instant.parse(stopped).minusSeconds(60), Instant.parse(stopped),
                Lsn.parse("0/3000028"), Lsn.parse("0/3000100"), 1, 16 << 20, 1000, 500, 150010, SYSTEM);
    }

    static final List<BackupSummary> CHAIN = List.of(
            summary(FULL, BackupType.FULL, Optional.empty(), List.of(FULL), "2026-12-01T02:01:00Z"),
            summary(INCR1, BackupType.INCR, Optional.of(FULL), List.of(FULL, INCR1), "2026-12-01T08:01:00Z"),
            summary(INCR2, BackupType.INCR, Optional.of(INCR1), List.of(FULL, INCR1, INCR2), "2026-12-01T14:01:00Z"));
    static final BackupSummary OTHER_FULL = summary(OTHER, BackupType.FULL, Optional.empty(), List.of(OTHER), "2026-12-02T02:01:00Z");

    static BackupCatalog catalog(Storage storage) {
        return new BackupCatalog(new BackupObjects(storage, NoCompression.INSTANCE, ObjectEncryption.none(), Keyring.EMPTY), SYSTEM);
    }

    static void store(BackupCatalog catalog, BackupSummary summary) throws IOException {
        catalog.objects().writeBytes(catalog.dataKey(summary.id(), 0), BackupCatalog.dataName(summary.id(), 0), ObjectKind.BACKUP_DATA,
                new byte[] {1, 2, 3});
        catalog.writeManifest(new Manifest(summary, "label", "", List.of(), List.of(), List.of(),
                List.of(new Manifest.DataObject(0, 3, 3))));
        catalog.commit(summary);
    }

    private LocalDirectoryStorage repository(String name) throws IOException {
        LocalDirectoryStorage storage = new LocalDirectoryStorage(directory.resolve(name));
        BackupCatalog catalog = catalog(storage);
        for (BackupSummary b : CHAIN) {
            store(catalog, b);
        }
        store(catalog, OTHER_FULL);
        return storage;
    }

    /** Every listed backup reads its commit record, and every backup it references is listed with its data present. */
    private static void assertListedMeansRestorable(BackupCatalog catalog, String when) throws Exception {
        BackupCatalog.Listing listing = catalog.list();
        for (BackupSummary b : listing.complete()) {
            for (String needed : b.references()) {
                assertTrue(listing.find(needed).isPresent(), when + ": " + b.id() + " listed although " + needed + " is not");
                assertTrue(catalog.objects().exists(catalog.dataKey(needed, 0)), when + ": " + b.id() + " listed but "
                        + needed + "'s data is gone");
            }
        }
    }

    @Test
    void anExpiryKilledAtAnyStepNeverLeavesAnUnrestorableBackupListed() throws Exception {
        CrashingStorage counting = new CrashingStorage(repository("count"), Integer.MAX_VALUE);
        catalog(counting).delete(CHAIN, s -> {});
        int steps = counting.mutations.get();
        assertTrue(steps >= 12, "3 markers, 3 commits, and 3 x 3 objects: " + steps);
        for (int crashAt = 0; crashAt < steps; crashAt++) {
            LocalDirectoryStorage storage = repository("crash" + crashAt);
            try {
                catalog(new CrashingStorage(storage, crashAt)).delete(CHAIN, s -> {});
            } catch (IOException killed) {
                // the expiry died here
            }
            BackupCatalog after = catalog(storage);
            assertListedMeansRestorable(after, "killed at step " + crashAt);
            BackupCatalog.Listing listing = after.list();
            assertEquals(List.of(OTHER), listing.complete().stream().map(BackupSummary::id).filter(OTHER::equals).toList(),
                    "the other backup stays listed, killed at step " + crashAt);
            // The next expiry (or backup) removes what is left; nothing of the kept backup goes.
            for (String leftover : listing.incomplete()) {
                after.removeIncomplete(leftover);
            }
            BackupCatalog.Listing cleaned = after.list();
            assertTrue(cleaned.incomplete().isEmpty(), "killed at step " + crashAt + ": " + cleaned.incomplete());
            assertTrue(storage.exists(after.dataKey(OTHER, 0)));
            for (BackupCatalog.Unusable u : cleaned.unusable()) {
                // A chain whose expiry had begun may be reported, never silently restorable, and never the other backup.
                assertFalse(u.id().equals(OTHER), u.toString());
            }
        }
    }

    @Test
    void aMissingCommitRecordMakesTheChainUnusableNotALeftover() throws Exception {
        LocalDirectoryStorage storage = repository("uncommitted");
        BackupCatalog catalog = catalog(storage);
        storage.delete(Long.toUnsignedString(SYSTEM) + "/backup/" + FULL + "/commit");
        BackupCatalog.Listing listing = catalog.list();
        assertEquals(List.of(OTHER), listing.complete().stream().map(BackupSummary::id).toList());
        assertTrue(listing.incomplete().isEmpty(), "a backup with a manifest is never a leftover: " + listing.incomplete());
        assertTrue(listing.findUnusable(FULL).orElseThrow().uncommitted());
        assertTrue(listing.findUnusable(INCR1).orElseThrow().reason().contains("needs backup " + FULL));
        assertTrue(listing.findUnusable(INCR2).isPresent());
        // Re-committed, the chain is whole again.
        catalog.recommit(FULL, 100);
        assertEquals(4, catalog.list().complete().size());
        assertListedMeansRestorable(catalog, "after recommit");
    }

    @Test
    void aDamagedCommitRecordAffectsOnlyItsBackupAndDependants() throws Exception {
        LocalDirectoryStorage storage = repository("damaged");
        BackupCatalog catalog = catalog(storage);
        Path commit = directory.resolve("damaged").resolve(Long.toUnsignedString(SYSTEM) + "/backup/" + INCR1 + "/commit");
        byte[] bytes = Files.readAllBytes(commit);
        bytes[bytes.length - 3] ^= 0x40;
        commit.toFile().setWritable(true);
        Files.write(commit, bytes);
        BackupCatalog.Listing listing = catalog.list();
        assertEquals(List.of(FULL, OTHER), listing.complete().stream().map(BackupSummary::id).toList());
        assertFalse(listing.findUnusable(INCR1).orElseThrow().uncommitted());
        assertTrue(listing.findUnusable(INCR2).isPresent());
        assertTrue(listing.incomplete().isEmpty());
    }

    @Test
    void holdsAndOtherFilesOfAnIncompleteBackupAreLeftovers() throws Exception {
        LocalDirectoryStorage storage = repository("leftover");
        BackupCatalog catalog = catalog(storage);
        catalog.objects().writeBytes(catalog.dataKey("20261203-020000F", 0), BackupCatalog.dataName("20261203-020000F", 0),
                ObjectKind.BACKUP_DATA, new byte[] {9});
        assertEquals(List.of("20261203-020000F"), catalog.list().incomplete());
        List<String> before = new ArrayList<>(storage.list(""));
        catalog.removeIncomplete("20261203-020000F");
        assertEquals(before.size() - 1, storage.list("").size());
    }
}
