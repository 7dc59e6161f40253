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
        assertEquals(manifest, ManifestJson.decodeManifest(ManifestJson.encode(manifest)));
        BackupSummary summary = manifest.summary();
        assertEquals(summary, ManifestJson.decodeCommit(ManifestJson.encodeCommit(summary)));
        assertTrue(new String(ManifestJson.encode(manifest), StandardCharsets.UTF_8).contains("\"system_identifier\":\"18446739073709551616\""),
                "system identifiers are unsigned");
    }

    @Test
    void aNewerOrForeignFormatIsRefused() {
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                "{\"format\":\"walden-backup-manifest\",\"version\":2}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                "{\"format\":\"something-else\",\"version\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeCommit("not json".getBytes(StandardCharsets.UTF_8)));
        assertThrows(ManifestJson.FormatException.class, () -> ManifestJson.decodeManifest(
                "{\"format\":\"walden-backup-manifest\",\"version\":1}".getBytes(StandardCharsets.UTF_8)));
    }
}
