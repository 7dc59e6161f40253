package dev.walden.agent.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock a test moves: stopped at an instant it sets, or running behind real time by a lag, so that backups taken a
 * minute apart look months apart.
 */
public final class TestClock extends Clock {
    private volatile Instant stopped;
    private volatile Duration lag = Duration.ZERO;

    /** Running with real time. */
    public TestClock() {}

    /** Stopped at {@code at} until set again. */
    public TestClock(String at) {
        stopped = Instant.parse(at);
    }

    public void set(Instant at) {
        stopped = at;
    }

    public void lag(Duration behind) {
        lag = behind;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        Instant at = stopped;
        return (at != null ? at : Instant.now()).minus(lag);
    }
}
