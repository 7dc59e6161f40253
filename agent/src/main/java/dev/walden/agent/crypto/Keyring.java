package dev.walden.agent.crypto;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Key-encryption keys by id: one active for writing, all usable for reading, so that after a rotation every older
 * object stays readable with nothing re-uploaded. Immutable once loaded.
 */
public final class Keyring {
    /** A keyring with no keys: the no-op used when encryption is off. */
    public static final Keyring EMPTY = new Keyring(Map.of(), null);

    private final Map<String, byte[]> keys;
    private final String activeId;

    Keyring(Map<String, byte[]> keys, String activeId) {
        this.keys = Collections.unmodifiableMap(new LinkedHashMap<>(keys));
        this.activeId = activeId;
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** The id new objects are encrypted with. */
    public String activeId() {
        if (activeId == null) {
            throw new IllegalStateException("empty keyring has no active key");
        }
        return activeId;
    }

    byte[] activeKey() {
        return keys.get(activeId());
    }

    Optional<byte[]> key(String id) {
        return Optional.ofNullable(keys.get(id));
    }

    public List<String> ids() {
        return new ArrayList<>(keys.keySet());
    }
}
