package dev.walden.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A forged manifest (an unencrypted repository is writable by whoever can write the bucket) is refused, not trusted. */
class ManifestCheckTest {
    static final String ID = "20261201-020000F";
    static final String SHA = "ab".repeat(32);

    static Manifest manifest(List<Manifest.Directory> directories, List<Manifest.FileEntry> files) {
        return new Manifest(ManifestJsonTest.summary(ID, BackupType.FULL, Optional.empty(), "2026-12-01T02:01:00Z", "0/3000100", 1),
                "label", "", List.of(), directories, files, List.of(new Manifest.DataObject(0, 100, 50), new Manifest.DataObject(1, 10, 5)));
    }

    @Test
    void whatWaldenWritesIsSound() {
        assertEquals(List.of(), ManifestCheck.problems(manifest(List.of(new Manifest.Directory("base", 0700),
                new Manifest.Directory("base/1", 0750)), List.of(
                new Manifest.FileEntry("PG_VERSION", 3, 1, 0600, SHA, ID, 1, 0),
                new Manifest.FileEntry("base/1/2", 0, 1, 0640, SHA, ID, -1, 0),
                new Manifest.FileEntry("base/1/3", 8192, 1, 0400, SHA, "20261130-020000F", 7, 0),
                new Manifest.FileEntry("base/1/4", 100_000, 1, 0600, SHA, ID, 0, 0, Optional.of(new Manifest.Blocks(65536, new byte[16],
                        List.of(new Manifest.Part(0, 1, ID, 0, 0), new Manifest.Part(1, 1, "20261130-020000F", 3, 0)), List.of(SHA))))))));
    }

    @Test
    void forgedEntriesAreNamed() {
        List<String> problems = ManifestCheck.problems(manifest(List.of(new Manifest.Directory("base", 07777)), List.of(
                new Manifest.FileEntry("PG_VERSION", 3, 1, 0600, SHA, ID, -1, 0),          // bytes, but no object
                new Manifest.FileEntry("x", 3, 1, 06777, SHA, ID, 0, 0),                   // setuid and setgid
                new Manifest.FileEntry("y", 3, 1, 0600, SHA, ID, 9, 0),                    // an object this backup does not have
                new Manifest.FileEntry("z", -5, 1, 0600, SHA, ID, 0, 0),
                new Manifest.FileEntry("w", 200_000, 1, 0600, SHA, ID, 0, 0, Optional.of(new Manifest.Blocks(65536, new byte[8],
                        List.of(new Manifest.Part(0, 1, ID, 0, 0)), List.of(SHA)))))));
        String all = String.join("\n", problems);
        for (String expected : List.of("directory base has mode 7777", "PG_VERSION (3 bytes) names object -1", "file x has mode 6777",
                "names object 9", "and ")) {
            assertTrue(all.contains(expected), expected + " in\n" + all);
        }
        assertEquals(ManifestCheck.NAMED + 1, problems.size());
    }

    @Test
    void unsafePathsAreFoundBeforeARestoreWritesAnything() {
        for (String path : List.of("/etc/passwd", "base/../../x", "base//1", "pg_tblspc/../x", "pg_tblspc/abc/PG_15/1", "")) {
            List<String> problems = ManifestCheck.problems(manifest(List.of(), List.of(new Manifest.FileEntry(path, 0, 1, 0600, SHA, ID, -1, 0))));
            assertTrue(problems.stream().anyMatch(p -> p.contains("unsafe path")), path + ": " + problems);
        }
        assertTrue(ManifestCheck.safePath("pg_tblspc/16385/PG_15_202209061/5/16386"));
        assertTrue(ManifestCheck.safePath("pg_tblspc"));
    }
}
