package dev.walden.agent.backup;

import java.util.ArrayList;
import java.util.List;

/**
 * A manifest read from the repository is untrusted input: in an unencrypted repository anyone who can write the
 * bucket can edit it. What a restore would refuse, and what verify reports: object numbers out of range, sizes that do
 * not fit, block maps that do not cover their file, and setuid, setgid or sticky modes. A restore also masks every mode
 * to what PostgreSQL allows (0750 and 0640 at most), so a forged write or execute bit for others never lands.
 * Unsafe paths are found here, before a restore writes anything, and refused again by the restore itself
 * ({@code Restorer.locate}).
 */
public final class ManifestCheck {
    /** The most a data directory's directories may allow: PostgreSQL's own 0700, or 0750 with group access. */
    public static final int DIRECTORY_MODE_MASK = 0750;
    /** The most its files may allow: 0600, or 0640 with group access. Never setuid, setgid or sticky. */
    public static final int FILE_MODE_MASK = 0640;
    /** At most this many problems are named; the rest are counted. */
    static final int NAMED = 5;

    private final List<String> problems = new ArrayList<>();
    private final String id;
    private final int objects;
    private int count;

    /** Checks the header; then each file with {@link #file}, and {@link #problems} says what was found. */
    public ManifestCheck(Manifest.Header header) {
        id = header.summary().id();
        objects = header.objects().stream().mapToInt(Manifest.DataObject::number).max().orElse(-1) + 1;
        for (Manifest.Directory directory : header.directories()) {
            if (!safePath(directory.path())) {
                add("directory " + directory.path() + " has an unsafe path (absolute, with '..', or outside its tablespace)");
            }
            if ((directory.mode() & ~0777) != 0) {
                add("directory " + directory.path() + " has mode " + Integer.toOctalString(directory.mode())
                        + " (setuid, setgid or sticky), which PostgreSQL never creates");
            }
        }
    }

    /** The problems of a manifest held in memory, empty when it is sound. */
    public static List<String> problems(Manifest manifest) {
        ManifestCheck check = new ManifestCheck(manifest.header());
        manifest.files().forEach(check::file);
        return check.problems();
    }

    private void add(String problem) {
        if (count++ < NAMED) {
            problems.add(problem);
        }
    }

    /**
     * Whether a manifest path stays where it belongs: relative, no {@code ..} or empty part, and under
     * {@code pg_tblspc/} only inside a tablespace named by its OID. A restore confines every path by this before it
     * writes anything ({@code Restorer.locate}).
     */
    public static boolean safePath(String path) {
        if (path.isEmpty() || path.startsWith("/") || java.util.Arrays.stream(path.split("/", -1)).anyMatch(p -> p.isEmpty() || p.equals(".."))) {
            return false;
        }
        String[] parts = path.split("/", 3);
        return !parts[0].equals("pg_tblspc") || parts.length == 1 || parts[1].matches("[0-9]{1,10}");
    }

    /** Checks the next file. */
    public void file(Manifest.FileEntry file) {
        String what = "file " + file.path();
        if (!safePath(file.path())) {
            add(what + " has an unsafe path (absolute, with '..', or outside its tablespace), which a restore would write"
                    + " outside the data directory");
        }
        if ((file.mode() & ~0777) != 0) {
            add(what + " has mode " + Integer.toOctalString(file.mode()) + " (setuid, setgid or sticky), which PostgreSQL"
                    + " never creates");
        }
        if (file.size() < 0) {
            add(what + " has a negative size");
        }
        if (!file.sha256().matches("[0-9a-f]{64}")) {
            add(what + " has no valid checksum");
        }
        if (file.blocks().isPresent()) {
            Manifest.Blocks blocks = file.blocks().get();
            long blocksNeeded = blocks.size() <= 0 ? -1 : (file.size() + blocks.size() - 1) / blocks.size();
            long covered = 0;
            long next = 0;
            for (Manifest.Part part : blocks.parts()) {
                if (part.first() != next || part.count() <= 0 || part.object() < 0 || part.offset() < 0
                        || (part.backup().equals(id) && part.object() >= objects)) {
                    add(what + " has a block map part out of range (blocks " + part.first() + "+" + part.count()
                            + " in object " + part.object() + " of " + part.backup() + ")");
                    break;
                }
                next += part.count();
                covered += part.count();
            }
            if (covered != blocksNeeded || blocks.count() != blocksNeeded) {
                add(what + "'s block map covers " + covered + " blocks of " + blocksNeeded);
            }
        } else if (file.size() == 0 ? file.object() != -1 : (file.object() < 0 || file.offset() < 0
                || (file.backup().equals(id) && file.object() >= objects))) {
            add(what + " (" + file.size() + " bytes) names object " + file.object() + " of " + file.backup()
                    + ", which " + (file.size() == 0 ? "an empty file never has" : "is out of range"));
        }
    }

    /** What was found so far: at most {@link #NAMED} named, the rest counted. */
    public List<String> problems() {
        List<String> found = new ArrayList<>(problems);
        if (count > NAMED) {
            found.add("and " + (count - NAMED) + " more");
        }
        return found;
    }
}
