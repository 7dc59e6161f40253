package dev.walden.agent.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ManifestJsonTest {
    static BackupSummary summary(String id, BackupType type, Optional<String> parent, String stopped, String stopLsn, long timeline) {
        return new BackupSummary(id, type, parent, parent.map(p -> List.of(p, id)).orElse(List.of(id)),
                Instant.parse(stopped).minusSeconds(60), Instant.parse(stopped), Lsn.parse("0/3000028"), Lsn.parse(stopLsn),
                timeline, 16 << 20, 1_000_000, 250_000, 150010, -5_000_000_000_000L);
    }

    @Test
    void aManifestSurvivesARoundTrip() throws Exception {
        Manifest manifest = new Manifest(summary("20261201-080000I", BackupType.INCR, Optional.of("20261201-020000F"),
                "2026-12-01T08:01:00Z", "0/30001A0", 1),
                "START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\nSTART TIMELINE: 1\n", "16385 /srv/ts\n",
                List.of(new Manifest.Tablespace(16385, "ts", "/srv/ts")),
                List.of(new Manifest.Directory("base", 0700), new Manifest.Directory("pg_tblspc/16385", 0700)),
                List.of(new Manifest.FileEntry("base/1/1259", 8192, 1_764_554_400_123_456_789L, 0600, "ab".repeat(32),
                        "20261201-020000F", 3, 1 << 20),
                        new Manifest.FileEntry("pg_tblspc/16385/PG_15/5/16386", 0, 1L, 0600, "cd".repeat(32), "20261201-080000I", -1, 0),
                        new Manifest.FileEntry("base/5/16390", 200_000, 2L, 0600, "ef".repeat(32), "20261201-080000I", 4, 0,
                                Optional.of(new Manifest.Blocks(65536, new byte[32], List.of(
                                        new Manifest.Part(0, 2, "20261201-020000F", 7, 0),
                                        new Manifest.Part(2, 2, "20261201-080000I", 4, 65536)), List.of("ab".repeat(32)))))));
        Manifest inPathOrder = new Manifest(manifest.summary(), manifest.backupLabel(), manifest.tablespaceMap(), manifest.tablespaces(),
                manifest.directories(), manifest.files().stream().sorted(java.util.Comparator.comparing(Manifest.FileEntry::path)).toList(),
                manifest.objects(), manifest.rowCounts());
        assertEquals(inPathOrder, ManifestJson.decodeManifest(ManifestJson.encode(manifest)));
        BackupSummary summary = manifest.summary();
        assertEquals(summary, ManifestJson.decodeCommit(ManifestJson.encodeCommit(summary)));
        assertTrue(new String(ManifestJson.encode(manifest), StandardCharsets.UTF_8).contains("\"system_identifier\":\"18446739073709551616\""),
                "system identifiers are unsigned");
    }

    /** The tree layout every agent wrote before version 2: files in the middle, objects and row counts after them. */
    static final String VERSION_1 = """
            {"format":"walden-backup-manifest","version":1,"backup":{"id":"20261201-020000F","type":"full","parent":null,
            "status":"complete","started":"2026-12-01T02:00:00Z","stopped":"2026-12-01T02:01:00Z","start_lsn":"0/3000028",
            "stop_lsn":"0/3000100","timeline":1,"bytes":8192,"stored_bytes":100,"pg_version":150010,
            "system_identifier":"7000000000000000001","wal_segment_size":16777216,"references":["20261201-020000F"]},
            "backup_label":"START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\\n","tablespace_map":"",
            "tablespaces":[],"directories":[{"path":"base","mode":448},{"path":"global","mode":448}],
            "files":[{"path":"global/pg_control","size":8192,"mtime_ns":5,"mode":384,"sha256":"%s","backup":"20261201-020000F",
            "object":1,"offset":0},{"path":"base/1/1259","size":0,"mtime_ns":5,"mode":384,"sha256":"%s",
            "backup":"20261201-020000F","object":-1,"offset":0}],
            "objects":[[1,8192,100]],"row_counts":[["postgres","public","t",3]]}
            """.formatted("ab".repeat(32), "cd".repeat(32));

    @Test
    void aVersion1ManifestIsStillReadInPathOrder() throws Exception {
        try (ManifestReader reader = ManifestReader.open(new java.io.ByteArrayInputStream(VERSION_1.getBytes(StandardCharsets.UTF_8)))) {
            Manifest.Header header = reader.header();
            assertEquals("20261201-020000F", header.summary().id());
            assertEquals(List.of(new Manifest.DataObject(1, 8192, 100)), header.objects());
            assertEquals(List.of(new Manifest.TableCount("postgres", "public", "t", 3)), header.rowCounts());
            assertEquals(2, header.fileCount());
            assertEquals("base/1/1259", reader.next().path());
            assertEquals("global/pg_control", reader.next().path());
            assertEquals(null, reader.next());
        }
    }

    @Test
    void aStreamedManifestRoundTripsThroughItsScratchFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path scratch) throws Exception {
        BackupSummary summary = summary("20261201-020000F", BackupType.FULL, Optional.empty(), "2026-12-01T02:01:00Z", "0/3000100", 1);
        List<Manifest.FileEntry> files = new java.util.ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            files.add(new Manifest.FileEntry(String.format("base/5/%06d", i), 8192, i, 0600, "ab".repeat(32), i % 2 == 0 ? summary.id()
                    : "20261130-020000F", i / 100, (i % 100) * 8192L));
        }
        byte[] stored;
        try (ManifestWriter writer = new ManifestWriter(scratch)) {
            for (Manifest.FileEntry f : files) {
                writer.add(f);
            }
            assertEquals(5000 * 8192L, writer.bytes());
            assertEquals(List.of("20261130-020000F", summary.id()), List.copyOf(writer.references()));
            Manifest.Header header = new Manifest.Header(summary, "label", "", List.of(), List.of(new Manifest.Directory("base", 0700)),
                    List.of(new Manifest.DataObject(0, 1, 1)), List.of(), writer.count());
            var source = writer.source(header);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(1000);
            boolean more = true;
            while (more) {
                more = source.fill(buffer);
                buffer.flip();
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                out.writeBytes(chunk);
                buffer.clear();
            }
            stored = out.toByteArray();
        }
        try (var left = java.nio.file.Files.list(scratch)) {
            assertEquals(0, left.count(), "the scratch file is removed");
        }
        Manifest read = ManifestJson.decodeManifest(stored);
        assertEquals(files, read.files());
        assertEquals(5000, read.header().fileCount());
        assertEquals(summary, read.summary());
    }

    @Test
    void filesOutOfOrderOrATruncatedListAreMalformed() {
        String twice = "{\"format\":\"walden-backup-manifest\",\"version\":2," + VERSION_1.substring(VERSION_1.indexOf("\"backup\":"),
                VERSION_1.indexOf("\"files\"")) + "\"objects\":[],\"row_counts\":[],\"files\":[";
        String file = "{\"path\":\"%s\",\"size\":0,\"mtime_ns\":5,\"mode\":384,\"sha256\":\"" + "ab".repeat(32)
                + "\",\"backup\":\"20261201-020000F\",\"object\":-1,\"offset\":0}";
        String ordered = twice + file.formatted("a") + "," + file.formatted("b") + "]}";
        assertEquals(2, assertDoesNotThrowDecode(ordered).files().size());
        var e = assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                (twice + file.formatted("b") + "," + file.formatted("a") + "]}").getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("path order"), e.getMessage());
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                (twice + file.formatted("a") + ",").getBytes(StandardCharsets.UTF_8)));
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                (twice + file.formatted("a") + "]}{}").getBytes(StandardCharsets.UTF_8)));
    }

    private static Manifest assertDoesNotThrowDecode(String json) {
        try {
            return ManifestJson.decodeManifest(json.getBytes(StandardCharsets.UTF_8));
        } catch (ManifestJson.FormatException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Test
    void pathOrderIsTheOrderOfUtf8Bytes() {
        List<String> paths = new java.util.ArrayList<>(List.of("a/x", "a.b", "a", "pg_tblspc/16384/PG_15", "\uE000", "\uD83D\uDE00", "a0"));
        paths.sort(PathOrder.PATHS);
        List<String> byBytes = new java.util.ArrayList<>(paths);
        byBytes.sort((x, y) -> java.util.Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8)));
        assertEquals(byBytes, paths);
        assertEquals(List.of("a", "a.b", "a/x", "a0"), paths.subList(0, 4));
    }

    @Test
    void aNewerOrForeignFormatIsRefused() {
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                "{\"format\":\"walden-backup-manifest\",\"version\":3}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                "{\"format\":\"something-else\",\"version\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeCommit("not json".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                "{\"format\":\"walden-backup-manifest\",\"version\":1}".getBytes(StandardCharsets.UTF_8)));
    }
}
