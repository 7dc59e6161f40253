package dev.walden.agent;

import dev.walden.agent.config.AgentConfig;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.testing.ForwardingStorage;
import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real walden-agent that dies as under SIGKILL (Runtime.halt: no shutdown hook, no finally, nothing flushed) at
 * one chosen point of its work: when the nth storage call of a kind on a key containing a fragment starts. So a test
 * can crash a backup, an expiry, a dump or a hold at each of its phases, then start a normal agent and check what the
 * catalog lists. Arguments: {@code put|delete:FRAGMENT:N} then the agent's {@code --option value} pairs.
 */
public final class CrashingAgentMain {
    /** The exit code of a process killed by SIGKILL, as a shell reports it. */
    public static final int KILLED = 137;

    private CrashingAgentMain() {}

    public static void main(String[] args) throws Exception {
        String[] crash = args[0].split(":", 3);
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            options.put(args[i].substring(2), args[i + 1]);
        }
        LogFormat.install();
        AgentConfig config = AgentConfig.load(null, System.getenv(), options);
        Agent.start(config, System.getenv(), Clock.systemUTC(), storage -> new Halting(storage, crash[0], crash[1], Integer.parseInt(crash[2])));
        Thread.currentThread().join();
    }

    /** Halts the JVM when the nth matching mutation starts. */
    private static final class Halting extends ForwardingStorage {
        private final String operation;
        private final String fragment;
        private final int nth;
        private final AtomicInteger calls = new AtomicInteger();

        Halting(Storage inner, String operation, String fragment, int nth) {
            super(inner);
            this.operation = operation;
            this.fragment = fragment;
            this.nth = nth;
        }

        private void step(String op, String key) {
            if (op.equals(operation) && key.contains(fragment) && calls.incrementAndGet() == nth) {
                System.err.println("crashing at " + op + " " + key);
                Runtime.getRuntime().halt(KILLED);
            }
        }

        @Override
        public PutOutcome putIfAbsent(String key, ObjectWriter writer) throws IOException {
            step("put", key);
            return inner.putIfAbsent(key, writer);
        }

        @Override
        public void delete(String key) throws IOException {
            step("delete", key);
            inner.delete(key);
        }
    }
}
