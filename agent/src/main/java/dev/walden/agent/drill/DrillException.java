package dev.walden.agent.drill;

/** A drill refused before it started (no backup, a drill-path inside pg-data, bad arguments), with what to do. */
public final class DrillException extends Exception {
    public DrillException(String message) {
        super(message);
    }
}
