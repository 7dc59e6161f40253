package dev.walden.agent.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.walden.agent.codec.NoCompression;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.storage.LocalDirectoryStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a full verify may skip: only what a verify that found everything whole read, within verify-all-days of a read-everything pass. */
class VerifyResultsTest {
    static final Duration MONTH = Duration.ofDays(30);

    @TempDir
    Path directory;

    static VerifyReport report(String started, boolean quick, Optional<Instant> readSince, int problems, boolean error) {
        Instant at = Instant.parse(started);
        List<VerifyReport.Problem> found = problems == 0 ? List.of()
                : List.of(VerifyReport.Problem.of("object-damaged", "k", List.of(), "damaged"));
        return new VerifyReport(at, at.plusSeconds(60), quick, readSince, "local:/r", Optional.of("7"),
                new VerifyReport.Counts(1, 1, 1, 1, 1, 0), found, error ? Optional.of("could not check") : Optional.empty());
    }

    @Test
    void onlyWholePassesCountAndEverythingIsReadAgainOncePerPeriod() throws Exception {
        VerifyResults results = new VerifyResults(new BackupObjects(new LocalDirectoryStorage(directory), NoCompression.INSTANCE,
                ObjectEncryption.none(), Keyring.EMPTY), 7);
        Instant now = Instant.parse("2026-12-20T00:00:00Z");
        assertEquals(Optional.empty(), results.readSince(now, MONTH), "no verify yet: read everything");

        results.store(report("2026-12-01T00:00:00Z", false, Optional.empty(), 0, false));   // read everything, whole
        results.store(report("2026-12-10T00:00:00Z", false, Optional.of(Instant.parse("2026-12-01T00:00:00Z")), 0, false));
        results.store(report("2026-12-11T00:00:00Z", true, Optional.empty(), 0, false));    // quick: read nothing
        results.store(report("2026-12-12T00:00:00Z", false, Optional.of(Instant.parse("2026-12-10T00:00:00Z")), 1, false));
        results.store(report("2026-12-13T00:00:00Z", false, Optional.empty(), 0, true));    // could not check
        assertEquals(Optional.of(Instant.parse("2026-12-09T23:00:00Z")), results.readSince(now, MONTH),
                "the newest verify that found everything whole, less the store clock margin");
        assertEquals(Optional.empty(), results.readSince(Instant.parse("2027-01-02T00:00:00Z"), MONTH),
                "a month after the last read-everything pass, everything is read again");
    }
}
