package dev.walden.agent.command;

/**
 * What one part of a command printed to standard output, kept to be nested (under its repository, in --json);
 * errors, progress and cancellation pass through to the real output.
 */
final class CapturedOutput implements CommandOutput {
    private final CommandOutput outer;
    private final StringBuilder text = new StringBuilder();

    CapturedOutput(CommandOutput outer) {
        this.outer = outer;
    }

    String text() {
        return text.toString();
    }

    @Override
    public void out(String more) {
        text.append(more);
    }

    @Override
    public void err(String more) {
        outer.err(more);
    }

    @Override
    public void progress(String line) {
        outer.progress(line);
    }

    @Override
    public boolean cancelled() {
        return outer.cancelled();
    }
}
