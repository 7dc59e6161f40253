package dev.walden.agent.command;

import dev.walden.protocol.Reply;
import dev.walden.protocol.Request;

/** Sends each request to the command that handles its type. Runs on worker threads, never on the event loop. */
public final class RequestRouter {
    private final PushCommand push;
    private final FetchCommand fetch;
    private final String version;

    public RequestRouter(PushCommand push, FetchCommand fetch, String version) {
        this.push = push;
        this.fetch = fetch;
        this.version = version;
    }

    public Reply handle(Request request) {
        return switch (request) {
            case Request.Push p -> push.execute(p);
            case Request.Fetch f -> fetch.execute(f);
            case Request.Ping ignored -> Reply.ok("walden-agent " + version + " is running");
        };
    }
}
