package dev.walden.agent.storage;

/** The one rule for storage keys, enforced by every driver before it touches anything. */
public final class StorageKeys {
    private StorageKeys() {}

    public static String check(String key) {
        if (key == null || key.isEmpty() || key.length() > 512) {
            throw new IllegalArgumentException("storage key must be 1..512 characters");
        }
        int partStart = 0;
        for (int i = 0; i <= key.length(); i++) {
            if (i == key.length() || key.charAt(i) == '/') {
                if (i == partStart) {
                    throw new IllegalArgumentException("storage key '" + key + "' has an empty part");
                }
                if (key.charAt(partStart) == '.') {
                    throw new IllegalArgumentException("storage key '" + key + "' has a part starting with '.'");
                }
                partStart = i + 1;
                continue;
            }
            char c = key.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!allowed) {
                throw new IllegalArgumentException("storage key '" + key + "' contains a character outside [A-Za-z0-9._-/]");
            }
        }
        return key;
    }
}
