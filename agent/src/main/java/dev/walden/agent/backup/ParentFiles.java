package dev.walden.agent.backup;

import java.io.IOException;

/**
 * The parent backup's files, read alongside the listing of the data directory: both come in path order, so finding
 * a file's parent entry is a step of a sorted merge, and only the parent's current entry is held.
 */
final class ParentFiles implements AutoCloseable {
    private final ManifestReader reader;
    private Manifest.FileEntry current;

    private ParentFiles(ManifestReader reader) throws IOException, BackupException {
        this.reader = reader;
        this.current = reader == null ? null : read();
    }

    /** A full backup's: none. */
    static ParentFiles none() {
        try {
            return new ParentFiles(null);
        } catch (IOException | BackupException e) {
            throw new IllegalStateException("nothing is read", e);
        }
    }

    /** The parent backup {@code id}'s files, from its manifest. */
    static ParentFiles of(BackupCatalog catalog, String id) throws IOException, BackupException {
        try {
            return of(catalog.openManifest(id));
        } catch (BackupCatalog.CatalogException e) {
            throw new BackupException(e.getMessage() + "; the incremental cannot be built on it. HINT: take a full backup"
                    + " (walden backup --type full); walden verify names what is damaged");
        }
    }

    static ParentFiles of(ManifestReader reader) throws IOException, BackupException {
        try {
            return new ParentFiles(reader);
        } catch (IOException | BackupException | RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    /**
     * The parent's entry for {@code path}, or null when it had none. Paths are asked for in increasing order.
     */
    Manifest.FileEntry find(String path) throws IOException, BackupException {
        while (current != null && PathOrder.compare(current.path(), path) < 0) {
            current = read();
        }
        return current != null && current.path().equals(path) ? current : null;
    }

    private Manifest.FileEntry read() throws IOException, BackupException {
        try {
            return reader.next();
        } catch (ManifestJson.FormatException e) {
            throw new BackupException("the parent backup's manifest cannot be read: " + e.getMessage()
                    + ". HINT: take a full backup (walden backup --type full); walden verify names what is damaged");
        }
    }

    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
        }
    }
}
