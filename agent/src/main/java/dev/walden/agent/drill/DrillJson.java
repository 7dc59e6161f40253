package dev.walden.agent.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.backup.ManifestJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The drill report as JSON, printed by {@code walden drill --json} and stored in the repository; fields named here once. */
public final class DrillJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DrillJson() {}

    public static ObjectNode node(DrillReport r, ZoneId zone) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", DrillReport.FORMAT).put("version", DrillReport.VERSION).put("id", r.id());
        root.put("result", r.passed() ? "passed" : "failed").put("exit_code", r.exitCode());
        root.put("started", ManifestJson.time(r.started(), zone)).put("finished", ManifestJson.time(r.finished(), zone));
        root.put("backup", r.backup()).put("target", r.target());
        root.putObject("phases").put("restore_seconds", r.phases().restoreSeconds())
                .put("recovery_seconds", r.phases().recoverySeconds()).put("check_seconds", r.phases().checkSeconds());
        root.put("rto_seconds", r.rtoSeconds());
        if (r.rpoSeconds().isPresent()) {
            root.put("rpo_seconds", r.rpoSeconds().get());
        } else {
            root.putNull("rpo_seconds");
        }
        root.put("rto_100gb_seconds", Double.isNaN(r.rtoFor100GbSeconds()) ? null : r.rtoFor100GbSeconds());
        root.put("bytes_restored", r.bytesRestored()).put("restore_bytes_per_second", r.restoreBytesPerSecond())
                .put("wal_replayed_bytes", r.walReplayedBytes());
        ObjectNode point = root.putObject("recovery_point");
        ManifestJson.putOptional(point, "lsn", r.recoveryEnd());
        ManifestJson.putOptional(point, "archive_end_lsn", r.archiveEnd());
        ManifestJson.putOptional(point, "last_transaction", r.lastTransaction().map(t -> ManifestJson.time(t, zone)));
        ArrayNode checks = root.putArray("checks");
        for (DrillReport.Check c : r.checks()) {
            checks.addObject().put("name", c.name()).put("passed", c.passed()).put("detail", c.detail());
        }
        ManifestJson.putOptional(root, "error", r.error());
        root.put("kept", r.kept()).put("directory", r.directory());
        return root;
    }

    static byte[] encode(DrillReport r) {
        return node(r, ZoneId.of("UTC")).toString().getBytes(StandardCharsets.UTF_8);
    }

    static DrillReport decode(byte[] bytes) {
        try {
            JsonNode n = MAPPER.readTree(bytes);
            if (!DrillReport.FORMAT.equals(n.path("format").asText()) || n.path("version").asInt() > DrillReport.VERSION) {
                throw new IllegalArgumentException("not a readable " + DrillReport.FORMAT);
            }
            List<DrillReport.Check> checks = new ArrayList<>();
            n.path("checks").forEach(c -> checks.add(new DrillReport.Check(c.path("name").asText(), c.path("passed").asBoolean(),
                    c.path("detail").asText())));
            JsonNode p = n.path("phases");
            JsonNode point = n.path("recovery_point");
            return new DrillReport(n.path("id").asText(), ManifestJson.parseTime(n.path("started").asText()), ManifestJson.parseTime(n.path("finished").asText()),
                    n.path("backup").asText(), n.path("target").asText(),
                    new DrillReport.Phases(p.path("restore_seconds").asDouble(), p.path("recovery_seconds").asDouble(),
                            p.path("check_seconds").asDouble()), n.path("bytes_restored").asLong(), n.path("wal_replayed_bytes").asLong(),
                    ManifestJson.optionalText(point, "lsn"), ManifestJson.optionalText(point, "archive_end_lsn"), ManifestJson.optionalText(point, "last_transaction").map(ManifestJson::parseTime),
                    checks, ManifestJson.optionalText(n, "error"), n.path("kept").asBoolean(), n.path("directory").asText());
        } catch (java.io.IOException | java.time.DateTimeException e) {
            throw new IllegalArgumentException("drill report is malformed: " + e.getMessage());
        }
    }




}
