package dev.walden.agent.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every test against a real PostgreSQL 15 starts with: a scratch directory kept when the test fails, readable by
 * the postgres user, with a workspace for clusters and their sockets; skipped where PostgreSQL 15 is not installed.
 */
public abstract class ClusterTest {
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    protected Path dir;
    protected Path workspace;

    @BeforeEach
    void requirePostgres() throws Exception {
        Assumptions.assumeTrue(PostgresCluster.available(), "PostgreSQL 15 is not installed");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        workspace = PostgresCluster.workspace(dir);
    }
}
