package dev.walden.agent.schedule;

import dev.walden.agent.records.RecordLog;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.pipeline.ObjectKind;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
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

    private Optional<RecordLog> log(String job) throws IOException, RepositoryFormatException {
        OptionalLong system = repository.systemIdentifier();
        return system.isEmpty() ? Optional.empty()
                : Optional.of(new RecordLog(objects, system.getAsLong(), "runs/" + job, ObjectKind.RUN_RECORD, 1 << 20));
    }

    /** Stores a run; returns false when the repository has no cluster yet. */
    public boolean store(RunRecord run) throws IOException, RepositoryFormatException {
        Optional<RecordLog> log = log(run.job());
        if (log.isEmpty()) {
            return false;
        }
        log.get().add(KEY_TIME.format(run.scheduled()), encode(run));
        log.get().keepNewest(KEPT);
        return true;
    }

    /** The newest recorded run of a job. */
    public Optional<RunRecord> last(String job) throws IOException, RepositoryFormatException {
        Optional<RecordLog> log = log(job);
        // A record gone meanwhile, or damaged, is passed over: the one before still says when the job last ran.
        return log.isEmpty() ? Optional.empty() : log.get().newest(RunRecords::decode);
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
