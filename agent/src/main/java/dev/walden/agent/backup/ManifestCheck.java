package dev.walden.agent.backup;

import java.util.ArrayList;
import java.util.List;

/**
 * A manifest read from the repository is untrusted input: in an unencrypted repository anyone who can write the
 * bucket can edit it. What a restore would refuse, and what verify reports: object numbers out of range, sizes that do
 * not fit, block maps that do not cover their file, and setuid, setgid or sticky modes. A restore also masks every mode
 * to what PostgreSQL allows (0750 and 0640 at most), so a forged write or execute bit for others never lands.
 * Paths are confined by the restore itself ({@code Restorer.locate}).
 */
public final class ManifestCheck {
    /** The most a data directory's directories may allow: PostgreSQL's own 0700, or 0750 with group access. */
    public static final int DIRECTORY_MODE_MASK = 0750;
    /** The most its files may allow: 0600, or 0640 with group access. Never setuid, setgid or sticky. */
    public static final int FILE_MODE_MASK = 0640;
    /** At most this many problems are named; the rest are counted. */
    static final int NAMED = 5;

    private ManifestCheck() {}

    /** The problems of {@code manifest}, empty when it is sound. */
    public static List<String> problems(Manifest manifest) {
        List<String> problems = new ArrayList<>();
        int[] count = {0};
        String id = manifest.summary().id();
        int objects = manifest.objects().stream().mapToInt(Manifest.DataObject::number).max().orElse(-1) + 1;
        java.util.function.Consumer<String> add = p -> {
            if (count[0]++ < NAMED) {
                problems.add(p);
            }
        };
        for (Manifest.Directory directory : manifest.directories()) {
            if ((directory.mode() & ~0777) != 0) {
                add.accept("directory " + directory.path() + " has mode " + Integer.toOctalString(directory.mode())
                        + " (setuid, setgid or sticky), which PostgreSQL never creates");
            }
        }
        for (Manifest.FileEntry file : manifest.files()) {
            String what = "file " + file.path();
            if ((file.mode() & ~0777) != 0) {
                add.accept(what + " has mode " + Integer.toOctalString(file.mode()) + " (setuid, setgid or sticky), which PostgreSQL"
                        + " never creates");
            }
            if (file.size() < 0) {
                add.accept(what + " has a negative size");
            }
            if (!file.sha256().matches("[0-9a-f]{64}")) {
                add.accept(what + " has no valid checksum");
            }
            if (file.blocks().isPresent()) {
                Manifest.Blocks blocks = file.blocks().get();
                long blocksNeeded = blocks.size() <= 0 ? -1 : (file.size() + blocks.size() - 1) / blocks.size();
                long covered = 0;
                long next = 0;
                for (Manifest.Part part : blocks.parts()) {
                    if (part.first() != next || part.count() <= 0 || part.object() < 0 || part.offset() < 0
                            || (part.backup().equals(id) && part.object() >= objects)) {
                        add.accept(what + " has a block map part out of range (blocks " + part.first() + "+" + part.count()
                                + " in object " + part.object() + " of " + part.backup() + ")");
                        break;
                    }
                    next += part.count();
                    covered += part.count();
                }
                if (covered != blocksNeeded || blocks.count() != blocksNeeded) {
                    add.accept(what + "'s block map covers " + covered + " blocks of " + blocksNeeded);
                }
            } else if (file.size() == 0 ? file.object() != -1 : (file.object() < 0 || file.offset() < 0
                    || (file.backup().equals(id) && file.object() >= objects))) {
                add.accept(what + " (" + file.size() + " bytes) names object " + file.object() + " of " + file.backup()
                        + ", which " + (file.size() == 0 ? "an empty file never has" : "is out of range"));
            }
        }
        if (count[0] > NAMED) {
            problems.add("and " + (count[0] - NAMED) + " more");
        }
        return problems;
    }
}
