package dev.walden.agent.command;

/**
 * What a long command (backup, restore, ...) may say while it runs. Implementations send each call to the client
 * as a frame and return once it is written, so a client that stops reading slows the command instead of filling
 * memory. Safe to call from any thread but the event loop.
 */
public interface CommandOutput {
    /** Text for the client's standard output (tables, JSON). */
    void out(String text);

    /** Text for the client's standard error (warnings, notes). */
    void err(String text);

    /** A one-line progress report; the client shows it only on a terminal, overwriting the previous one. */
    void progress(String line);

    /** Whether the client went away: the command must stop cleanly and leave nothing half done behind as done. */
    boolean cancelled();

    /**
     * {@code output} for a step of a larger command (a drill's restore): its progress, under {@code prefix}, and its
     * cancellation pass; its notes and text are the step's own and are dropped.
     */
    static CommandOutput progressOnly(CommandOutput output, String prefix) {
        return new CommandOutput() {
            public void out(String text) {}

            public void err(String text) {}

            public void progress(String line) {
                output.progress(prefix + line);
            }

            public boolean cancelled() {
                return output.cancelled();
            }
        };
    }
}
