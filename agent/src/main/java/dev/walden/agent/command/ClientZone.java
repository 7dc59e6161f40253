package dev.walden.agent.command;

import dev.walden.protocol.Request;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.Optional;

/** The time zone a command's client sent (its TZ, else its system's), in which times given without one are read. */
final class ClientZone {
    private ClientZone() {}

    /** The client's zone, or empty when it sent none or one this agent does not know (then the agent's zone applies). */
    static Optional<ZoneId> of(Request.Command command) {
        if (command.zone().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ZoneId.of(command.zone()));
        } catch (DateTimeException unknownHere) {
            return Optional.empty();
        }
    }
}
