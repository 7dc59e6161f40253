package dev.walden.agent.storage;

import java.io.IOException;

/** No object under the key: the normal answer to "is it there?", not a failure. */
public final class ObjectNotFoundException extends IOException {
    public ObjectNotFoundException(String key) {
        super("no object " + key);
    }
}
