package dev.walden.agent.backup;

import java.util.Comparator;

/**
 * The order of a manifest's files: their paths compared by code point, which is the order of their UTF-8 bytes, as
 * the data directory walk produces it ({@link DataDirectoryScan}). Writers keep it, readers check it, and an
 * incremental backup merges its files with its parent's by it. For ASCII paths (all PostgreSQL creates) it is
 * {@link String#compareTo}.
 */
public final class PathOrder {
    public static final Comparator<String> PATHS = PathOrder::compare;

    private PathOrder() {}

    public static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i);
            int y = b.codePointAt(j);
            if (x != y) {
                return Integer.compare(x, y);
            }
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }
}
