package dev.walden.agent.logical;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The logical dumps of one cluster (docs/format.md, "Logical dumps"):
 *
 * <pre>
 * SYSID/dump/ID/data      pg_dump's output, streamed through the object format (compressed, encrypted)
 * SYSID/dump/ID/commit    written last, once the data is durable and pg_restore --list read it back
 * </pre>
 *
 * ID is the run's UTC start and the database: {@code 20261201-013000-d-shop}, {@code 20261201-013000-globals}; a
 * database name outside {@code [A-Za-z0-9_-]} is written as {@code x-} and its UTF-8 in hex. A dump without a commit
 * record is never listed as complete.
 */
public final class DumpCatalog {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String COMMIT_FORMAT = "walden-dump-commit";
    private final BackupObjects objects;
    private final long systemIdentifier;

    public DumpCatalog(BackupObjects objects, long systemIdentifier) {
        this.objects = objects;
        this.systemIdentifier = systemIdentifier;
    }

    public BackupObjects objects() {
        return objects;
    }

    String prefix() {
        return Long.toUnsignedString(systemIdentifier) + "/dump/";
    }

    static String id(String run, Optional<String> database) {
        if (database.isEmpty()) {
            return run + "-globals";
        }
        String name = database.get();
        return run + (name.matches("[A-Za-z0-9_-]{1,200}") ? "-d-" + name
                : "-x-" + HexFormat.of().formatHex(name.getBytes(StandardCharsets.UTF_8)));
    }

    String dataKey(String id) {
        return prefix() + id + "/data";
    }

    /** Hands each stored dump object (data and commit records) to {@code visitor}, as the listing streams (for verify). */
    public void forEachDataObject(java.util.function.Consumer<dev.walden.agent.storage.Storage.StoredObject> visitor)
            throws IOException {
        objects.forEachObject(prefix(), visitor);
    }

    /** The key of a dump's data object. */
    public String dataKeyOf(String id) {
        return dataKey(id);
    }

    /** Reads a dump's data whole, writing nothing; returns pg_dump's byte count as stored. */
    public long verifyData(String id) throws IOException, CorruptObjectException {
        return objects.verify(dataKey(id), dataName(id), ObjectKind.DUMP_DATA);
    }

    static String dataName(String id) {
        return "dump/" + id + "/data";
    }

    /** Complete dumps (oldest first) and the ids of those without a commit record. */
    public record Listing(List<DumpRecord> complete, List<String> incomplete) {
        public Optional<DumpRecord> find(String id) {
            return complete.stream().filter(d -> d.id().equals(id)).findFirst();
        }
    }

    public Listing list() throws IOException, CorruptObjectException {
        TreeMap<String, Boolean> committed = new TreeMap<>();
        for (String key : objects.list(prefix())) {
            String rest = key.substring(prefix().length());
            int slash = rest.indexOf('/');
            if (slash > 0) {
                committed.merge(rest.substring(0, slash), rest.endsWith("/commit"), Boolean::logicalOr);
            }
        }
        List<DumpRecord> complete = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        for (var e : committed.entrySet()) {
            if (e.getValue()) {
                complete.add(decode(objects.readBytes(prefix() + e.getKey() + "/commit", "dump/" + e.getKey() + "/commit",
                        ObjectKind.DUMP_COMMIT, 1 << 20)));
            } else {
                incomplete.add(e.getKey());
            }
        }
        complete.sort(Comparator.comparing(DumpRecord::stopped).thenComparing(DumpRecord::id));
        return new Listing(complete, incomplete);
    }

    void commit(DumpRecord dump) throws IOException {
        objects.writeBytes(prefix() + dump.id() + "/commit", "dump/" + dump.id() + "/commit", ObjectKind.DUMP_COMMIT, encode(dump));
    }

    /** Deletes a dump, commit record first, so that a crash part-way never leaves it listed without its data. */
    public void delete(String id) throws IOException {
        objects.delete(prefix() + id + "/commit");
        for (String key : objects.list(prefix() + id + "/")) {
            objects.delete(key);
        }
    }

    static byte[] encode(DumpRecord d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", COMMIT_FORMAT).put("version", 1);
        json(n, d);
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The fields of {@code walden dump list --json}, also stored in the commit record. */
    public static ObjectNode json(ObjectNode n, DumpRecord d) {
        n.put("id", d.id()).put("run", d.run());
        if (d.database().isPresent()) {
            n.put("database", d.database().get());
        } else {
            n.putNull("database");
        }
        n.put("status", "complete").put("dump_format", d.format()).put("started", d.started().toString()).put("stopped", d.stopped().toString())
                .put("bytes", d.bytes()).put("stored_bytes", d.storedBytes());
        if (d.tocEntries().isPresent()) {
            n.put("toc_entries", d.tocEntries().getAsLong());
        } else {
            n.putNull("toc_entries");
        }
        n.put("pg_version", d.pgVersion());
        return n;
    }

    static DumpRecord decode(byte[] bytes) throws CorruptObjectException {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (!COMMIT_FORMAT.equals(n.path("format").asText()) || n.path("version").asInt() != 1) {
                throw new CorruptObjectException("not a " + COMMIT_FORMAT + " of version 1");
            }
            return new DumpRecord(n.path("id").asText(), n.path("run").asText(),
                    n.path("database").isNull() ? Optional.empty() : Optional.of(n.path("database").asText()), n.path("dump_format").asText(),
                    Instant.parse(n.path("started").asText()), Instant.parse(n.path("stopped").asText()), n.path("bytes").asLong(),
                    n.path("stored_bytes").asLong(), n.path("toc_entries").isNull() ? OptionalLong.empty()
                    : OptionalLong.of(n.path("toc_entries").asLong()), n.path("pg_version").asInt());
        } catch (IOException | java.time.DateTimeException e) {
            throw new CorruptObjectException("dump commit record is malformed: " + e.getMessage());
        }
    }
}
