package dev.walden.agent.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.walden.agent.config.AgentConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which class a kept backup belongs in: the coldest rule keeps it there only when no warmer one keeps it too. */
class StorageTiersTest {
    private final StorageTiers tiers = new StorageTiers(Optional.of("GLACIER_IR"), Optional.of("DEEP_ARCHIVE"));

    @Test
    void theWarmestRuleThatKeepsABackupDecides() {
        assertEquals(Optional.of("GLACIER_IR"), tiers.classFor(List.of("monthly 2026-10")));
        assertEquals(Optional.of("GLACIER_IR"), tiers.classFor(List.of("monthly 2025-12", "yearly 2025")));
        assertEquals(Optional.of("DEEP_ARCHIVE"), tiers.classFor(List.of("yearly 2025")));
        assertEquals(Optional.empty(), tiers.classFor(List.of("daily 2026-12-04", "monthly 2026-12")));
        assertEquals(Optional.empty(), tiers.classFor(List.of("yearly 2025", "held")));
        assertEquals(Optional.empty(), tiers.classFor(List.of("monthly 2026-10", "anchors the 7-day point-in-time window")));
        assertEquals(Optional.empty(), tiers.classFor(List.of()));
        assertEquals(Optional.empty(), new StorageTiers(Optional.of("GLACIER_IR"), Optional.empty()).classFor(List.of("yearly 2025")));
    }

    @Test
    void eachRepositoryHasItsOwnClasses() throws Exception {
        AgentConfig config = AgentConfig.load(null, Map.of(), Map.of("repo-type", "s3", "s3-bucket", "b", "encryption", "off",
                "storage-class-monthly", "glacier_ir", "repo2-type", "s3", "repo2-s3-bucket", "c", "repo2-storage-class-yearly", "DEEP_ARCHIVE"));
        assertEquals(new StorageTiers(Optional.of("GLACIER_IR"), Optional.empty()), config.repositories().get(0).tiers());
        assertEquals(new StorageTiers(Optional.empty(), Optional.of("DEEP_ARCHIVE")), config.repositories().get(1).tiers());
    }
}
