package dev.walden.agent.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterCheckTest {
    static final long SYSTEM = 7310000000000000001L;

    @TempDir
    Path data;

    private ClusterFacts facts(String walLevel, String archiveMode, String archiveCommand, boolean mayBackup) {
        return new ClusterFacts(data.toString(), SYSTEM, 150010, walLevel, archiveMode, archiveCommand, 16 << 20, false, 1,
                mayBackup, List.of());
    }

    private void writeControlFile(long systemIdentifier) throws Exception {
        Files.createDirectories(data.resolve("global"));
        Files.write(data.resolve("global/pg_control"),
                ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(systemIdentifier).array());
    }

    @Test
    void aReadyClusterPasses() throws Exception {
        writeControlFile(SYSTEM);
        ClusterCheck.Findings findings = ClusterCheck.check(facts("replica", "on", "walden push %p %f", true), data);
        assertEquals(List.of(), findings.refusals());
        assertEquals(List.of(), findings.warnings());
    }

    @Test
    void eachProblemIsNamedWithWhatToFix() throws Exception {
        writeControlFile(SYSTEM);
        ClusterCheck.Findings findings = ClusterCheck.check(facts("minimal", "off", "cp %p /mnt/%f", false), data);
        assertEquals(3, findings.refusals().size(), findings.refusals().toString());
        assertTrue(findings.refusals().get(0).contains("pg_backup_start") && findings.refusals().get(0).contains("GRANT"));
        assertTrue(findings.refusals().get(1).contains("wal_level is minimal") && findings.refusals().get(1).contains("replica"));
        assertTrue(findings.refusals().get(2).contains("archive_mode is off"));
        assertEquals(1, findings.warnings().size());
        assertTrue(findings.warnings().get(0).contains("does not mention walden"), "a wrapper is only a warning");
    }

    @Test
    void anotherClustersDataDirectoryIsRefused() throws Exception {
        writeControlFile(SYSTEM + 1);
        ClusterCheck.Findings findings = ClusterCheck.check(facts("replica", "on", "walden push %p %f", true), data);
        assertTrue(findings.refusals().get(0).contains("holds database system"), findings.refusals().toString());
    }

    @Test
    void aDataDirectoryThatIsNotTheServersIsRefused() throws Exception {
        ClusterFacts elsewhere = new ClusterFacts("/var/lib/postgresql/15/main", SYSTEM, 150010, "replica", "on", "walden",
                16 << 20, false, 1, true, List.of());
        ClusterCheck.Findings findings = ClusterCheck.check(elsewhere, data);
        assertTrue(findings.refusals().get(0).contains("HINT: set pg-data = /var/lib/postgresql/15/main"), findings.refusals().toString());
    }
}
