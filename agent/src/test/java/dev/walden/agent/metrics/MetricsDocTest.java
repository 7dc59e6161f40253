package dev.walden.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/metrics.md is written from the registered meters; this fails when the two drift apart. */
class MetricsDocTest {
    @Test
    void committedMetricsReferenceMatchesTheMeters() throws Exception {
        Path doc = Path.of(System.getProperty("walden.docs", "../docs"), "metrics.md");
        assertEquals(WaldenMetrics.markdown(), Files.readString(doc),
                "docs/metrics.md is stale: regenerate it with 'packaging/target/walden/bin/walden-agent metrics --markdown > docs/metrics.md'");
    }

    @Test
    void theAlertRulesAndTheDashboardUseOnlyMetricsTheAgentExposes() throws Exception {
        WaldenMetrics exposing = new WaldenMetrics(() -> 0.0, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), Map::of);
        // as an agent with two repositories exposes them
        exposing.repositoryLag(() -> java.util.List.of(new dev.walden.agent.storage.mirror.Mirror.Lag(2, "", 0, java.util.Optional.empty())));
        String scrape = exposing.scrape();
        for (String file : new String[] {"prometheus/walden-alerts.yml", "grafana/walden-dashboard.json"}) {
            String text = Files.readString(Path.of("../packaging", file));
            var names = java.util.regex.Pattern.compile("walden_[a-z_]+").matcher(text);
            int found = 0;
            while (names.find()) {
                String name = names.group().replaceAll("_(bucket|count|sum)$", "");
                assertTrue(scrape.contains("\n" + name), file + " uses " + name + ", which the agent does not expose");
                found++;
            }
            assertTrue(found > 5, file);
        }
    }

    @Test
    void aPushShowsInTheScrape() {
        WaldenMetrics metrics = new WaldenMetrics(() -> 3.0, 16 << 20, new dev.walden.agent.storage.StorageErrors(java.time.Clock.systemUTC()), Map::of);
        metrics.pushSucceeded("000000010000000000000001", 16 << 20, 1 << 20, 5_000_000, 1_764_590_400_000L);
        String scrape = metrics.scrape();
        assertTrue(scrape.contains("walden_archive_last_success_timestamp_seconds 1.7645904E9"), scrape);
        assertTrue(scrape.contains("walden_archive_compression_ratio 16.0"), scrape);
        assertTrue(scrape.contains("walden_archive_lag_bytes 5.0331648E7"), scrape);
        assertTrue(scrape.contains("walden_push_duration_seconds_count 1"), scrape);
    }
}
