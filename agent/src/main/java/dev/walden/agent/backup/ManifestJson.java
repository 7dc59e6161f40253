package dev.walden.agent.backup;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Manifests, commit records and the {@code --json} output as JSON: every field is named here, once, and nothing is bound
 * by reflection. Small documents go through Jackson's tree model; a manifest's files are written with the streaming
 * generator and read one tree per file ({@link ManifestWriter}, {@link ManifestReader}). Readers refuse an unknown
 * format or a newer version.
 */
public final class ManifestJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final String COMMIT_FORMAT = "walden-backup-commit";

    private ManifestJson() {}

    /** A malformed or unreadable manifest or commit record. */
    public static final class FormatException extends Exception {
        FormatException(String message) {
            super(message);
        }
    }

    /**
     * A whole manifest held in memory, as the streaming writer lays it out: the header, then the files in path order.
     * For small manifests and tests; backups write theirs with {@link ManifestWriter}.
     */
    public static byte[] encode(Manifest manifest) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(headerPrefix(manifest.header()));
        try (JsonGenerator generator = MAPPER.getFactory().createGenerator(out)) {
            generator.setRootValueSeparator(new com.fasterxml.jackson.core.io.SerializedString(","));
            for (Manifest.FileEntry f : manifest.files().stream().sorted(java.util.Comparator.comparing(Manifest.FileEntry::path, PathOrder.PATHS)).toList()) {
                writeFile(generator, f);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("writing to memory", e);
        }
        out.writeBytes(FILES_END);
        return out.toByteArray();
    }

    /** Closes the files array and the manifest. */
    static final byte[] FILES_END = "]}".getBytes(StandardCharsets.UTF_8);

    /**
     * Everything of a version-2 manifest before its first file: the header's fields, then {@code "files":[}. The
     * files follow, separated by commas, and {@link #FILES_END} ends it.
     */
    static byte[] headerPrefix(Manifest.Header header) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", Manifest.FORMAT).put("version", Manifest.VERSION);
        root.set("backup", summaryNode(header.summary(), "complete", ZoneId.of("UTC")));
        root.put("backup_label", header.backupLabel());
        root.put("tablespace_map", header.tablespaceMap());
        ArrayNode tablespaces = root.putArray("tablespaces");
        for (Manifest.Tablespace t : header.tablespaces()) {
            tablespaces.addObject().put("oid", t.oid()).put("name", t.name()).put("location", t.location());
        }
        ArrayNode directories = root.putArray("directories");
        for (Manifest.Directory d : header.directories()) {
            directories.addObject().put("path", d.path()).put("mode", d.mode());
        }
        ArrayNode objects = root.putArray("objects");
        for (Manifest.DataObject o : header.objects()) {
            objects.addArray().add(o.number()).add(o.originalBytes()).add(o.storedBytes());
        }
        ArrayNode counts = root.putArray("row_counts");
        for (Manifest.TableCount t : header.rowCounts()) {
            counts.addArray().add(t.database()).add(t.schema()).add(t.table()).add(t.rows());
        }
        root.put("file_count", header.fileCount());
        root.put("taken_from", header.takenFrom());
        if (!header.pgControlLast().isEmpty()) {
            root.put("pg_control_last", header.pgControlLast());
        }
        ArrayNode configFiles = root.putArray("config_files");
        for (Manifest.ConfigFile c : header.configFiles()) {
            configFiles.addObject().put("role", c.role()).put("path", c.path()).put("text", c.text());
        }
        byte[] object = bytes(root);  // {...}: drop the closing brace, open the files array
        byte[] open = ",\"files\":[".getBytes(StandardCharsets.UTF_8);
        byte[] prefix = java.util.Arrays.copyOf(object, object.length - 1 + open.length);
        System.arraycopy(open, 0, prefix, object.length - 1, open.length);
        return prefix;
    }

    /** One file of the files array. */
    static void writeFile(JsonGenerator g, Manifest.FileEntry f) throws java.io.IOException {
        g.writeStartObject();
        g.writeStringField("path", f.path());
        g.writeNumberField("size", f.size());
        g.writeNumberField("mtime_ns", f.mtimeNanos());
        g.writeNumberField("mode", f.mode());
        g.writeStringField("sha256", f.sha256());
        g.writeStringField("backup", f.backup());
        g.writeNumberField("object", f.object());
        g.writeNumberField("offset", f.offset());
        if (f.blocks().isPresent()) {
            Manifest.Blocks b = f.blocks().get();
            g.writeObjectFieldStart("blocks");
            g.writeNumberField("size", b.size());
            g.writeStringField("checksums", java.util.Base64.getEncoder().encodeToString(b.checksums()));
            g.writeArrayFieldStart("ranges");
            for (String range : b.rangeSha256()) {
                g.writeString(range);
            }
            g.writeEndArray();
            if (b.summarized()) {
                g.writeBooleanField("summarized", true);
            }
            g.writeArrayFieldStart("parts");
            for (Manifest.Part part : b.parts()) {
                g.writeStartArray();
                g.writeNumber(part.first());
                g.writeNumber(part.count());
                g.writeString(part.backup());
                g.writeNumber(part.object());
                g.writeNumber(part.offset());
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    /** One file, from its JSON object (the same for every version). */
    static Manifest.FileEntry file(JsonNode f) {
        Optional<Manifest.Blocks> blocks = Optional.empty();
        JsonNode b = f.get("blocks");
        if (b != null) {
            List<Manifest.Part> parts = new ArrayList<>();
            for (JsonNode part : require(b, "parts")) {
                if (part.size() != 5) {
                    throw new IllegalArgumentException("a block part has " + part.size() + " fields, not 5");
                }
                parts.add(new Manifest.Part(part.get(0).asInt(), part.get(1).asInt(), part.get(2).asText(),
                        part.get(3).asInt(), part.get(4).asLong()));
            }
            List<String> ranges = new ArrayList<>();
            require(b, "ranges").forEach(r -> ranges.add(r.asText()));
            blocks = Optional.of(new Manifest.Blocks(require(b, "size").asInt(),
                    java.util.Base64.getDecoder().decode(text(b, "checksums")), parts, ranges, b.path("summarized").asBoolean(false)));
        }
        return new Manifest.FileEntry(text(f, "path"), require(f, "size").asLong(), require(f, "mtime_ns").asLong(),
                require(f, "mode").asInt(), text(f, "sha256"), text(f, "backup"), require(f, "object").asInt(),
                require(f, "offset").asLong(), blocks);
    }

    /** The header from its fields, as read before the files (version 2) or around them (version 1). */
    static Manifest.Header header(JsonNode root, long fileCount) {
        BackupSummary summary = summary(require(root, "backup"));
        List<Manifest.Tablespace> tablespaces = new ArrayList<>();
        for (JsonNode t : require(root, "tablespaces")) {
            tablespaces.add(new Manifest.Tablespace(require(t, "oid").asLong(), text(t, "name"), text(t, "location")));
        }
        List<Manifest.Directory> directories = new ArrayList<>();
        for (JsonNode d : require(root, "directories")) {
            directories.add(new Manifest.Directory(text(d, "path"), require(d, "mode").asInt()));
        }
        List<Manifest.DataObject> objects = new ArrayList<>();
        for (JsonNode o : root.path("objects")) {
            if (o.size() != 3) {
                throw new IllegalArgumentException("an object entry has " + o.size() + " fields, not 3");
            }
            objects.add(new Manifest.DataObject(o.get(0).asInt(), o.get(1).asLong(), o.get(2).asLong()));
        }
        List<Manifest.TableCount> counts = new ArrayList<>();
        for (JsonNode t : root.path("row_counts")) {
            if (t.size() != 4) {
                throw new IllegalArgumentException("a row count has " + t.size() + " fields, not 4");
            }
            counts.add(new Manifest.TableCount(t.get(0).asText(), t.get(1).asText(), t.get(2).asText(), t.get(3).asLong()));
        }
        List<Manifest.ConfigFile> configFiles = new ArrayList<>();
        for (JsonNode c : root.path("config_files")) {
            configFiles.add(new Manifest.ConfigFile(text(c, "role"), text(c, "path"), text(c, "text")));
        }
        return new Manifest.Header(summary, text(root, "backup_label"), text(root, "tablespace_map"), tablespaces, directories,
                objects, counts, root.has("file_count") ? root.get("file_count").asLong() : fileCount, configFiles,
                root.has("taken_from") ? root.get("taken_from").asText() : "primary",
                root.has("pg_control_last") ? root.get("pg_control_last").asText() : "");
    }

    /** A whole manifest read into memory (either version); for tests and small manifests. */
    public static Manifest decodeManifest(byte[] bytes) throws FormatException {
        try (ManifestReader reader = ManifestReader.open(new java.io.ByteArrayInputStream(bytes))) {
            List<Manifest.FileEntry> files = new ArrayList<>();
            for (Manifest.FileEntry f = reader.next(); f != null; f = reader.next()) {
                files.add(f);
            }
            Manifest.Header h = reader.header();
            return new Manifest(h.summary(), h.backupLabel(), h.tablespaceMap(), h.tablespaces(), h.directories(), files,
                    h.objects(), h.rowCounts());
        } catch (java.io.IOException e) {
            throw new FormatException("manifest cannot be read: " + e.getMessage());
        }
    }

    /** The mapper's factory, for streaming readers and writers of this package. */
    static com.fasterxml.jackson.core.JsonFactory factory() {
        return MAPPER.getFactory();
    }

    /** Checks a document's format and version fields, as every reader does first. */
    static int checkFormat(JsonNode root, String format, int version) throws FormatException {
        if (root == null || !format.equals(root.path("format").asText())) {
            throw new FormatException("not a " + format);
        }
        int found = root.path("version").asInt(-1);
        if (found < 1 || found > version) {
            throw new FormatException(format + " version " + found + " is not readable by this agent (reads up to " + version
                    + "). HINT: upgrade walden-agent");
        }
        return found;
    }

    public static byte[] encodeCommit(BackupSummary summary) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", COMMIT_FORMAT).put("version", 1);
        root.set("backup", summaryNode(summary, "complete", ZoneId.of("UTC")));
        return bytes(root);
    }

    public static BackupSummary decodeCommit(byte[] bytes) throws FormatException {
        JsonNode root = parse(bytes, COMMIT_FORMAT, 1);
        try {
            return summary(require(root, "backup"));
        } catch (IllegalArgumentException e) {
            throw new FormatException("commit record is malformed: " + e.getMessage());
        }
    }

    static final String HOLD_FORMAT = "walden-backup-hold";

    public static byte[] encodeHold(Hold hold) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", HOLD_FORMAT).put("version", 1).put("backup", hold.backupId())
                .put("since", time(hold.since(), ZoneId.of("UTC")));
        if (hold.until().isPresent()) {
            root.put("until", time(hold.until().get(), ZoneId.of("UTC")));
        } else {
            root.putNull("until");
        }
        return bytes(root);
    }

    public static Hold decodeHold(byte[] bytes) throws FormatException {
        JsonNode root = parse(bytes, HOLD_FORMAT, 1);
        try {
            JsonNode until = require(root, "until");
            return new Hold(text(root, "backup"), Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text(root, "since"))),
                    until.isNull() ? Optional.empty() : Optional.of(Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(until.asText()))));
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            throw new FormatException("hold is malformed: " + e.getMessage());
        }
    }

    /** The object {@code backup list --json} prints for one backup; times in {@code zone}. */
    public static ObjectNode summaryNode(BackupSummary s, String status, ZoneId zone) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", s.id()).put("type", s.type().label);
        if (s.parent().isPresent()) {
            node.put("parent", s.parent().get());
        } else {
            node.putNull("parent");
        }
        node.put("status", status);
        node.put("started", time(s.started(), zone)).put("stopped", time(s.stopped(), zone));
        node.put("start_lsn", s.startLsn().toString()).put("stop_lsn", s.stopLsn().toString());
        node.put("timeline", s.timeline());
        node.put("bytes", s.bytes()).put("stored_bytes", s.storedBytes());
        node.put("pg_version", s.pgVersion());
        node.put("system_identifier", Long.toUnsignedString(s.systemIdentifier()));
        node.put("wal_segment_size", s.walSegmentSize());
        ArrayNode references = node.putArray("references");
        s.references().forEach(references::add);
        return node;
    }

    /** An empty JSON object, for reports printed with --json. */
    public static ObjectNode newObject() {
        return MAPPER.createObjectNode();
    }

    /** An empty JSON array, for lists printed with --json. */
    public static ArrayNode newArray() {
        return MAPPER.createArrayNode();
    }

    /** A field that may be absent: its text, or null in the JSON. */
    public static void putOptional(ObjectNode node, String field, Optional<String> value) {
        if (value.isPresent()) {
            node.put(field, value.get());
        } else {
            node.putNull(field);
        }
    }

    /** The text of a field that may be missing or null. */
    public static Optional<String> optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    /** An ISO-8601 time with offset, as {@link #time} writes it. */
    public static Instant parseTime(String text) {
        return Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text));
    }

    public static String time(Instant instant, ZoneId zone) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(instant.atZone(zone));
    }

    public static String pretty(JsonNode node) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree always serialises", e);
        }
    }

    private static BackupSummary summary(JsonNode node) {
        JsonNode parent = require(node, "parent");
        List<String> references = new ArrayList<>();
        require(node, "references").forEach(r -> references.add(r.asText()));
        return new BackupSummary(text(node, "id"), BackupType.parse(text(node, "type")),
                parent.isNull() ? Optional.empty() : Optional.of(parent.asText()), references,
                Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text(node, "started"))),
                Instant.from(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text(node, "stopped"))),
                Lsn.parse(text(node, "start_lsn")), Lsn.parse(text(node, "stop_lsn")), require(node, "timeline").asLong(),
                require(node, "wal_segment_size").asLong(), require(node, "bytes").asLong(), require(node, "stored_bytes").asLong(),
                require(node, "pg_version").asInt(), Long.parseUnsignedLong(text(node, "system_identifier")));
    }

    private static JsonNode parse(byte[] bytes, String format, int version) throws FormatException {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (java.io.IOException e) {
            throw new FormatException(format + " is not valid JSON: " + e.getMessage());
        }
        checkFormat(root, format, version);
        return root;
    }

    static JsonNode require(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        return require(node, field).asText();
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree always serialises", e);
        }
    }
}
