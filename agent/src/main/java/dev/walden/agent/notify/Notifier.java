package dev.walden.agent.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Runs {@code notify-command} ({@code /bin/sh -c}) with one JSON event on its standard input when something starts
 * failing and when it recovers: one event per change of state, never one per failed attempt. Events are delivered on
 * one thread of their own with a bounded queue (64; an event that finds it full is logged and dropped), and a command
 * that runs over 60 s is killed, so nothing the agent does waits on a notification. Event schema: docs/runbook.md.
 */
public final class Notifier implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Notifier.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final Notifier NONE = new Notifier(Optional.empty(), Clock.systemUTC(), "walden-agent");

    private final Optional<String> command;
    private final Clock clock;
    private final String host;
    private final Map<String, Boolean> failing = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor delivery;

    public Notifier(Optional<String> command, Clock clock, String host) {
        this.command = command;
        this.clock = clock;
        this.host = host;
        this.delivery = command.isEmpty() ? null : new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64),
                Thread.ofPlatform().name("walden-notify").daemon().factory(),
                (task, pool) -> LOG.warning("notify-command is behind: an event was dropped"));
    }

    /**
     * Reports the state of a subject ({@code archiving}, {@code verify}, {@code drill}, {@code job:backup-full}, …);
     * an event goes out when it starts failing, and when it succeeds again after failing.
     */
    public void report(String subject, boolean nowFailing, String message) {
        Boolean before = failing.put(subject, nowFailing);
        boolean wasFailing = before != null && before;
        if (nowFailing == wasFailing || command.isEmpty()) {
            return;
        }
        ObjectNode event = JSON.createObjectNode();
        event.put("event", nowFailing ? "failed" : "recovered").put("subject", subject).put("message", message)
                .put("time", clock.instant().toString()).put("host", host).put("agent", "walden-agent");
        byte[] body = (event.toString() + "\n").getBytes(StandardCharsets.UTF_8);
        delivery.execute(() -> deliver(subject, body));
    }

    private void deliver(String subject, byte[] body) {
        try {
            Process process = new ProcessBuilder("/bin/sh", "-c", command.get()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream in = process.getOutputStream()) {
                in.write(body);
            } catch (IOException closedEarly) {
                // the command need not read its input
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                LOG.warning("notify-command ran over 60 s for " + subject + " and was killed");
            } else if (process.exitValue() != 0) {
                LOG.warning("notify-command exited " + process.exitValue() + " for " + subject);
            }
        } catch (IOException e) {
            LOG.warning("notify-command could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (delivery != null) {
            delivery.shutdown();
            try {
                delivery.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
