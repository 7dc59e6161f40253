package dev.walden.agent.guard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.records.RecordLog;
import dev.walden.agent.wal.WalFileName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * A run of WAL files on one timeline that pg-wal-guard = drop acknowledged without storing: a span point-in-time
 * recovery cannot cross. Recorded in the repository ({@code SYSID/wal-gaps/STAMP}, docs/format.md) so that verify,
 * status and restore name it, and kept until retention no longer reaches it (the newest {@link #KEPT}).
 *
 * @param segmentSize the size of the dropped files, to turn names into positions
 */
public record WalGap(long timeline, String first, String last, long files, long segmentSize, Instant droppedFrom, Instant droppedTo) {
    static final int KEPT = 100;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    public long firstSegment() {
        return WalFileName.parse(first).segmentNumber(segmentSize);
    }

    public long lastSegment() {
        return WalFileName.parse(last).segmentNumber(segmentSize);
    }

    /** Whether segments {@code from}..{@code to} of {@code onTimeline} all lie in this gap. */
    public boolean covers(long onTimeline, long from, long to) {
        return timeline == onTimeline && from >= firstSegment() && to <= lastSegment();
    }

    public String describe() {
        return "timeline " + timeline + ": WAL " + first + (first.equals(last) ? "" : " .. " + last) + " (" + files + " file"
                + (files == 1 ? "" : "s") + ") was dropped by pg-wal-guard = drop at " + droppedFrom
                + (droppedTo.equals(droppedFrom) ? "" : " .. " + droppedTo) + ", while the repository failed and pg_wal was full";
    }

    private static RecordLog log(BackupObjects objects, long systemIdentifier) {
        return new RecordLog(objects, systemIdentifier, "wal-gaps", ObjectKind.WAL_GAP, 1 << 20);
    }

    /** Records a gap durably in the repository. */
    static void record(BackupObjects objects, long systemIdentifier, WalGap gap) throws IOException {
        RecordLog log = log(objects, systemIdentifier);
        log.add(STAMP.format(gap.droppedTo()), gap.encode());
        log.keepNewest(KEPT);
    }

    /** The gaps recorded in the repository, oldest first; a damaged record is skipped with its reason in the list's place. */
    public static List<WalGap> recorded(BackupObjects objects, long systemIdentifier) throws IOException {
        RecordLog log = log(objects, systemIdentifier);
        List<WalGap> gaps = new ArrayList<>();
        for (String stamp : log.stamps()) {
            try {
                gaps.add(decode(log.read(stamp)));
            } catch (CorruptObjectException | IllegalArgumentException | dev.walden.agent.storage.ObjectNotFoundException e) {
                // a damaged gap record: verify's object checks report the object itself
            }
        }
        return gaps;
    }

    byte[] encode() {
        ObjectNode node = JSON.createObjectNode();
        node.put("format", "walden-wal-gap").put("version", 1).put("timeline", timeline).put("first", first).put("last", last)
                .put("files", files).put("segment_size", segmentSize).put("dropped_from", droppedFrom.toString())
                .put("dropped_to", droppedTo.toString());
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    static WalGap decode(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (!"walden-wal-gap".equals(n.path("format").asText()) || n.path("version").asInt() != 1) {
                throw new IllegalArgumentException("not a walden-wal-gap record of version 1");
            }
            return new WalGap(n.path("timeline").asLong(), n.path("first").asText(), n.path("last").asText(), n.path("files").asLong(),
                    n.path("segment_size").asLong(), Instant.parse(n.path("dropped_from").asText()),
                    Instant.parse(n.path("dropped_to").asText()));
        } catch (IOException | java.time.DateTimeException e) {
            throw new IllegalArgumentException("WAL gap record is malformed: " + e.getMessage());
        }
    }
}
