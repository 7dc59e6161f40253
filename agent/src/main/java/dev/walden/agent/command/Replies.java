package dev.walden.agent.command;

import dev.walden.protocol.Reply;
import dev.walden.protocol.Status;
import java.util.logging.Logger;

/** Turns a failure into a reply and its one log line. */
final class Replies {
    private Replies() {}

    static Reply failure(Logger log, Status status, String message) {
        log.warning(message);
        return new Reply(status, message);
    }

    static String describe(Throwable e) {
        String message = e.getMessage();
        String type = e.getClass().getSimpleName();
        return message == null ? type : type.endsWith("Exception") && message.startsWith("/") ? type + ": " + message : message;
    }
}
