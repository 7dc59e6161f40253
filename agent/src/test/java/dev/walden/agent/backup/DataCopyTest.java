package dev.walden.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.codec.NoCompression;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.storage.LocalDirectoryStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The copying stage on a real directory and a local repository: a full backup's files, then an incremental's found
 * by the sorted merge with the full's manifest: new, changed (in size, or in content at the same size), removed and
 * unchanged files; written in path order across batches and large files.
 */
class DataCopyTest {
    static final BackupSettings SETTINGS = new BackupSettings(2, 1, 64 << 10, 32 << 10, Duration.ofSeconds(10));
    static final Instant LONG_AGO = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path temp;

    @Test
    void theSortedMergeFindsNewChangedRemovedAndUnchangedFiles() throws Exception {
        Path data = Files.createDirectories(temp.resolve("data"));
        for (int i = 0; i < 3000; i++) {  // more than one batch of files
            write(data.resolve("base/5/" + (16384 + i)), ("table " + i).repeat(10));
        }
        write(data.resolve("base/5/large"), "x".repeat(200 << 10));  // past the bundle limit: blocks
        write(data.resolve("global/pg_control"), "control");
        write(data.resolve("base/5/16384.1"), "removed later");
        write(data.resolve("base/5/empty"), "");
        BackupCatalog catalog = new BackupCatalog(new BackupObjects(new LocalDirectoryStorage(Files.createDirectories(temp.resolve("repo"))),
                NoCompression.INSTANCE, ObjectEncryption.none(), Keyring.EMPTY, temp.resolve("scratch")), 1);

        Map<String, Manifest.FileEntry> full = copy(catalog, data, "20261204-010000F", null);
        assertEquals(3004, full.size());
        assertTrue(full.values().stream().allMatch(f -> f.backup().equals("20261204-010000F")));
        assertTrue(full.get("base/5/large").blocks().isPresent());

        Files.delete(data.resolve("base/5/16384.1"));
        write(data.resolve("base/5/99999"), "new");
        write(data.resolve("base/5/16385"), "grown " + "table 1".repeat(20));
        Files.writeString(data.resolve("base/5/16386"), "TABLE 2".repeat(10));  // same size, new bytes
        Files.setLastModifiedTime(data.resolve("base/5/16386"), FileTime.from(Instant.now()));
        Files.writeString(data.resolve("base/5/16387"), "table 3".repeat(10));  // same bytes, touched: compared, re-used
        Files.setLastModifiedTime(data.resolve("base/5/16387"), FileTime.from(Instant.now()));

        Map<String, Manifest.FileEntry> incr = copy(catalog, data, "20261204-020000I", "20261204-010000F");
        assertEquals(3004, incr.size());
        assertNull(incr.get("base/5/16384.1"), "removed");
        assertEquals("20261204-020000I", incr.get("base/5/99999").backup(), "new");
        assertEquals("20261204-020000I", incr.get("base/5/16385").backup(), "changed size");
        assertEquals("20261204-020000I", incr.get("base/5/16386").backup(), "changed bytes at the same size");
        assertEquals("20261204-010000F", incr.get("base/5/16387").backup(), "touched but the same: compared and re-used");
        assertEquals(full.get("base/5/16387").offset(), incr.get("base/5/16387").offset());
        assertEquals("20261204-010000F", incr.get("base/5/17000").backup(), "unchanged: not read");
        assertEquals(full.get("base/5/large").blocks(), incr.get("base/5/large").blocks(), "an unchanged large file keeps its block map");
        assertEquals(-1, incr.get("base/5/empty").object());
    }

    private Map<String, Manifest.FileEntry> copy(BackupCatalog catalog, Path data, String id, String parentId) throws Exception {
        ManifestWriter manifest = new ManifestWriter(temp.resolve("scratch"));
        AtomicBoolean stop = new AtomicBoolean();
        Manifest.Header header;
        try (ParentFiles parent = parentId == null ? ParentFiles.none() : ParentFiles.of(catalog.openManifest(parentId));
             DataCopy copy = new DataCopy(id, catalog, catalog.objects(), SETTINGS, parent,
                     parentId == null ? 0 : Instant.now().minusSeconds(5).toEpochMilli() * 1_000_000L, false, new TransferProgress(),
                     manifest, stop, () -> false, () -> {})) {
            List<Manifest.Directory> directories = DataDirectoryScan.walk(data, List.of(), List.of(), copy::add);
            copy.finish();
            BackupSummary summary = ManifestJsonTest.summary(id, parentId == null ? BackupType.FULL : BackupType.INCR,
                    java.util.Optional.ofNullable(parentId), "2026-12-04T02:00:00Z", "0/3000100", 1);
            header = new Manifest.Header(summary, "label", "", List.of(), directories, copy.stored(), List.of(), manifest.count());
            catalog.writeManifest(header, manifest);
        } finally {
            manifest.close();
        }
        Map<String, Manifest.FileEntry> files = new HashMap<>();
        String last = null;
        try (ManifestReader reader = catalog.openManifest(id)) {
            for (Manifest.FileEntry f = reader.next(); f != null; f = reader.next()) {
                assertTrue(last == null || PathOrder.compare(last, f.path()) < 0);
                last = f.path();
                files.put(f.path(), f);
            }
        }
        return files;
    }

    private static void write(Path file, String text) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.from(LONG_AGO));
    }
}
