package dev.walden.protocol;

/**
 * Part of a command's output, sent by the agent while the command runs. A progress frame with empty text is a
 * heartbeat: it only tells the client that the agent is still working.
 */
public record Output(Stream stream, String text) {
    /** Where the client writes the text. Codes are part of the wire format: never renumber. */
    public enum Stream {
        STDOUT(1), STDERR(2), PROGRESS(3);

        public final int code;

        Stream(int code) {
            this.code = code;
        }

        static Stream fromCode(int code) {
            for (Stream stream : values()) {
                if (stream.code == code) {
                    return stream;
                }
            }
            throw new ProtocolException("unknown output stream " + code);
        }
    }

    public Output {
        if (stream == null) {
            throw new IllegalArgumentException("stream is required");
        }
        text = text == null ? "" : text;
    }

    public static Output heartbeat() {
        return new Output(Stream.PROGRESS, "");
    }
}
