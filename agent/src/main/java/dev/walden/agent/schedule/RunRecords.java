package dev.walden.agent.schedule;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.CorruptObjectException;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where runs of scheduled jobs are recorded: {@code SYSID/runs/JOB/YYYYMMDD-HHMMSS} (the scheduled time, UTC), one
 * JSON object each (docs/format.md), encrypted like everything else; the newest {@link #KEPT} per job are kept.
 * Nothing is recorded while the repository has no cluster yet (nothing was ever archived).
 */
public final class RunRecords {
    static final int KEPT = 100;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter KEY_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private final Repository repository;
    private final BackupObjects objects;

    public RunRecords(Repository repository, BackupObjects objects) {
        this.repository = repository;
        this.objects = objects;
    }

    private Optional<String> prefix(String job) throws IOException, RepositoryFormatException {
        OptionalLong system = repository.systemIdentifier();
        return system.isEmpty() ? Optional.empty() : Optional.of(Long.toUnsignedString(system.getAsLong()) + "/runs/" + job + "/");
    }

    /** Stores a run; returns false when the repository has no cluster yet. */
    public boolean store(RunRecord run) throws IOException, RepositoryFormatException {
        Optional<String> prefix = prefix(run.job());
        if (prefix.isEmpty()) {
            return false;
        }
        List<String> existing = objects.storage().list(prefix.get());
        String stamp = KEY_TIME.format(run.scheduled());
        String key = prefix.get() + stamp;
        for (int n = 1; existing.contains(key); n++) {
            key = prefix.get() + stamp + "-" + n;
        }
        String name = key.substring(key.indexOf('/') + 1);
        objects.writeBytes(key, name, ObjectKind.RUN_RECORD, encode(run));
        List<String> all = objects.storage().list(prefix.get());
        for (int i = 0; i < all.size() - KEPT; i++) {
            objects.storage().delete(all.get(i));
        }
        return true;
    }

    /** The newest recorded run of a job. */
    public Optional<RunRecord> last(String job) throws IOException, RepositoryFormatException {
        Optional<String> prefix = prefix(job);
        if (prefix.isEmpty()) {
            return Optional.empty();
        }
        List<String> all = objects.storage().list(prefix.get());
        for (int i = all.size() - 1; i >= 0; i--) {
            String key = all.get(i);
            try {
                return Optional.of(decode(objects.readBytes(key, key.substring(key.indexOf('/') + 1), ObjectKind.RUN_RECORD, 1 << 20)));
            } catch (dev.walden.agent.storage.ObjectNotFoundException | CorruptObjectException | IllegalArgumentException e) {
                // gone meanwhile, or damaged: the record before it still says when the job last ran
            }
        }
        return Optional.empty();
    }

    static byte[] encode(RunRecord run) {
        ObjectNode node = JSON.createObjectNode();
        node.put("format", "walden-run").put("version", 1).put("job", run.job())
                .put("scheduled", run.scheduled().toString()).put("started", run.started().toString())
                .put("finished", run.finished().toString()).put("outcome", run.outcome()).put("exit_code", run.exitCode())
                .put("message", run.message()).put("catch_up", run.catchUp());
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    static RunRecord decode(byte[] bytes) {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (!"walden-run".equals(n.path("format").asText()) || n.path("version").asInt() != 1) {
                throw new IllegalArgumentException("not a walden-run record of version 1");
            }
            return new RunRecord(n.path("job").asText(), Instant.parse(n.path("scheduled").asText()), Instant.parse(n.path("started").asText()),
                    Instant.parse(n.path("finished").asText()), n.path("outcome").asText(), n.path("exit_code").asInt(),
                    n.path("message").asText(), n.path("catch_up").asBoolean());
        } catch (IOException | java.time.DateTimeException e) {
            throw new IllegalArgumentException("run record is malformed: " + e.getMessage());
        }
    }
}
