package dev.walden.agent.verify;

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

/** The verify report as JSON, stored and printed alike; every field is named here once (docs/runbook.md). */
public final class VerifyJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private VerifyJson() {}

    /** A stored report that cannot be read. */
    public static final class FormatException extends Exception {
        FormatException(String message) {
            super(message);
        }
    }

    public static ObjectNode node(VerifyReport report, ZoneId zone) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", VerifyReport.FORMAT).put("version", VerifyReport.VERSION);
        root.put("result", report.result()).put("exit_code", report.exitCode()).put("mode", report.quick() ? "quick" : "full");
        if (report.readSince().isPresent()) {
            root.put("read_since", ManifestJson.time(report.readSince().get(), zone));
        } else {
            root.putNull("read_since");
        }
        root.put("started", ManifestJson.time(report.started(), zone)).put("finished", ManifestJson.time(report.finished(), zone));
        root.put("repository", report.repository());
        ManifestJson.putOptional(root, "system_identifier", report.systemIdentifier());
        ManifestJson.putOptional(root, "error", report.error());
        VerifyReport.Counts c = report.checked();
        root.putObject("checked").put("backups", c.backups()).put("wal_files", c.walFiles()).put("objects", c.objects())
                .put("bytes_read", c.bytesRead()).put("timelines", c.timelines()).put("unchanged_objects", c.unchanged());
        ArrayNode problems = root.putArray("problems");
        for (VerifyReport.Problem p : report.problems()) {
            ObjectNode node = problems.addObject().put("kind", p.kind());
            ManifestJson.putOptional(node, "object", p.object());
            ArrayNode backups = node.putArray("backups");
            p.backups().forEach(backups::add);
            ManifestJson.putOptional(node, "first", p.first());
            ManifestJson.putOptional(node, "last", p.last());
            node.put("message", p.message());
        }
        return root;
    }

    static byte[] encode(VerifyReport report) {
        try {
            return MAPPER.writeValueAsString(node(report, ZoneId.of("UTC"))).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree always serialises", e);
        }
    }

    static VerifyReport decode(byte[] bytes) throws FormatException {
        try {
            JsonNode root = MAPPER.readTree(bytes);
            if (root == null || !VerifyReport.FORMAT.equals(root.path("format").asText())) {
                throw new FormatException("not a " + VerifyReport.FORMAT);
            }
            int version = root.path("version").asInt(-1);
            if (version < 1 || version > VerifyReport.VERSION) {
                throw new FormatException(VerifyReport.FORMAT + " version " + version + " is not readable by this agent. HINT: upgrade walden-agent");
            }
            JsonNode c = root.path("checked");
            List<VerifyReport.Problem> problems = new ArrayList<>();
            for (JsonNode p : root.path("problems")) {
                List<String> backups = new ArrayList<>();
                p.path("backups").forEach(b -> backups.add(b.asText()));
                problems.add(new VerifyReport.Problem(p.path("kind").asText(), ManifestJson.optionalText(p, "object"), backups, ManifestJson.optionalText(p, "first"),
                        ManifestJson.optionalText(p, "last"), p.path("message").asText()));
            }
            return new VerifyReport(ManifestJson.parseTime(root.path("started").asText()), ManifestJson.parseTime(root.path("finished").asText()), "quick".equals(root.path("mode").asText()),
                    root.path("read_since").isTextual() ? Optional.of(ManifestJson.parseTime(root.path("read_since").asText())) : Optional.empty(),
                    root.path("repository").asText(), ManifestJson.optionalText(root, "system_identifier"),
                    new VerifyReport.Counts(c.path("backups").asInt(), c.path("wal_files").asInt(), c.path("objects").asInt(),
                            c.path("bytes_read").asLong(), c.path("timelines").asInt(), c.path("unchanged_objects").asInt()), problems, ManifestJson.optionalText(root, "error"));
        } catch (java.io.IOException | java.time.DateTimeException e) {
            throw new FormatException("verify report is malformed: " + e.getMessage());
        }
    }




}
