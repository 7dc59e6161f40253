package dev.walden.agent.restore;

import dev.walden.agent.backup.DataDirectoryScan;
import dev.walden.agent.backup.Manifest;
import dev.walden.agent.backup.ManifestJson;
import dev.walden.agent.backup.ManifestReader;
import dev.walden.agent.backup.PathOrder;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Under {@code restore --delta}: removes the files that the backup does not have, as a fresh restore would not have
 * them. The directory is walked in manifest path order (each directory's names sorted, a directory's as NAME/, the
 * tablespaces where pg_tblspc sorts) and merged with the manifest's files, so neither side is held in memory.
 */
final class DeltaCleanup {
    private final ManifestReader manifest;
    private final Path keep;
    private Manifest.FileEntry current;

    private DeltaCleanup(ManifestReader manifest, Path keep) throws IOException, ManifestJson.FormatException {
        this.manifest = manifest;
        this.keep = keep;
        this.current = manifest.next();
    }

    /**
     * @param tablespaces where each tablespace was restored, by OID
     * @param keep        a file that stays whatever the manifest says (pg_control, restored under another name)
     */
    static void removeUnlisted(Path target, Map<Long, Path> tablespaces, ManifestReader manifest, Path keep)
            throws IOException, ManifestJson.FormatException {
        new DeltaCleanup(manifest, keep).walk(target, "", true, tablespaces);
    }

    private void walk(Path directory, String prefix, boolean top, Map<Long, Path> tablespaces)
            throws IOException, ManifestJson.FormatException {
        DataDirectoryScan.SortedNames names = new DataDirectoryScan.SortedNames();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path entry : stream) {
                String name = entry.getFileName().toString();
                boolean directoryLike = Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS) || (top && name.equals("pg_tblspc"));
                names.add(directoryLike ? name + "/" : name);
            }
        } catch (NoSuchFileException vanished) {
            return;
        }
        names.sort();
        for (int i = 0; i < names.size(); i++) {
            String key = names.get(i);
            boolean isDirectory = key.endsWith("/");
            String name = isDirectory ? key.substring(0, key.length() - 1) : key;
            Path path = directory.resolve(name);
            if (top && name.equals("pg_tblspc")) {
                List<Map.Entry<Long, Path>> byOid = new ArrayList<>(tablespaces.entrySet());
                byOid.sort(Comparator.comparing(e -> Long.toString(e.getKey())));
                for (Map.Entry<Long, Path> tablespace : byOid) {
                    walk(tablespace.getValue(), "pg_tblspc/" + tablespace.getKey() + "/", false, tablespaces);
                }
                continue;
            }
            if (isDirectory) {
                walk(path, prefix + name + "/", false, tablespaces);
            } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) && !listed(prefix + name) && !path.equals(keep)) {
                Files.delete(path);
            }
        }
    }

    private boolean listed(String path) throws IOException, ManifestJson.FormatException {
        while (current != null && PathOrder.compare(current.path(), path) < 0) {
            current = manifest.next();
        }
        return current != null && current.path().equals(path);
    }
}
