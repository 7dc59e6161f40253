package dev.walden.agent.backup;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import dev.walden.agent.pipeline.ObjectSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Writes a manifest whose files arrive one at a time, in path order, during a backup: each is appended to a
 * compressed scratch file at once, so the backup holds none of them. The header, known only when the backup stops,
 * is written first when the manifest is stored ({@link #source}), followed by the files read back from the scratch
 * file. It also counts what the summary needs: bytes, files, and the backups whose objects the files read.
 */
public final class ManifestWriter implements AutoCloseable {
    private final ScratchFile scratch;
    private final JsonGenerator generator;
    private final SortedSet<String> references = new TreeSet<>();
    private String lastPath;
    private long bytes;
    private long count;
    private boolean finished;

    public ManifestWriter(Path scratchDirectory) throws IOException {
        scratch = ScratchFile.create(scratchDirectory, "files");
        try {
            generator = ManifestJson.factory().createGenerator(scratch.write());
            generator.setRootValueSeparator(new SerializedString(","));
        } catch (IOException | RuntimeException e) {
            scratch.close();
            throw e;
        }
    }

    /** Appends the next file; files come in strictly increasing path order. */
    public void add(Manifest.FileEntry entry) throws IOException {
        if (lastPath != null && PathOrder.compare(entry.path(), lastPath) <= 0) {
            throw new IllegalStateException("manifest files out of order: " + entry.path() + " after " + lastPath);
        }
        lastPath = entry.path();
        ManifestJson.writeFile(generator, entry);
        bytes += entry.size();
        count++;
        if (entry.blocks().isPresent()) {
            entry.blocks().get().parts().forEach(part -> references.add(part.backup()));
        } else if (entry.object() >= 0) {
            references.add(entry.backup());
        }
    }

    /** The bytes of the files added. */
    public long bytes() {
        return bytes;
    }

    public long count() {
        return count;
    }

    /** The backups whose objects the files added read. */
    public SortedSet<String> references() {
        return Collections.unmodifiableSortedSet(references);
    }

    /** The whole manifest's bytes: {@code header}, then every file added. No file may be added after this. */
    public ObjectSource source(Manifest.Header header) throws IOException {
        if (!finished) {
            finished = true;
            generator.close();
        }
        InputStream stream = new SequenceInputStream(java.util.Collections.enumeration(List.of(
                new ByteArrayInputStream(ManifestJson.headerPrefix(header)),
                scratch.read(),
                new ByteArrayInputStream(ManifestJson.FILES_END))));
        byte[] chunk = new byte[1 << 16];
        return new ObjectSource() {
            @Override
            public boolean fill(ByteBuffer buffer) throws IOException {
                while (buffer.hasRemaining()) {
                    int read = stream.read(chunk, 0, Math.min(chunk.length, buffer.remaining()));
                    if (read < 0) {
                        stream.close();
                        return false;
                    }
                    buffer.put(chunk, 0, read);
                }
                return true;
            }
        };
    }

    @Override
    public void close() throws IOException {
        try {
            if (!finished) {
                finished = true;
                generator.close();
            }
        } finally {
            scratch.close();
        }
    }
}
