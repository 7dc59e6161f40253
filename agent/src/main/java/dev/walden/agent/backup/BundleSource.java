package dev.walden.agent.backup;

import dev.walden.agent.pipeline.ObjectSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The original bytes of one data object: its files one after another, each read up to the size it had when listed
 * (a file that grows is copied up to that size; one that shrinks or vanishes is copied as it is, and WAL replay
 * makes it right, as for pg_basebackup) and hashed as it is read.
 */
final class BundleSource implements ObjectSource {
    /** Where one file's bytes ended up in the object. */
    record Copied(DataDirectoryScan.ListedFile file, long offset, long length, String sha256) {}

    private final List<DataDirectoryScan.ListedFile> files;
    private final TransferProgress progress;
    private final AtomicBoolean stop;
    private final List<Copied> copied = new ArrayList<>();
    private final MessageDigest digest = sha256();
    private int index = -1;
    private FileChannel current;
    private long remaining;
    private long fileStart;
    private long position;

    BundleSource(List<DataDirectoryScan.ListedFile> files, TransferProgress progress, AtomicBoolean stop) {
        this.files = files;
        this.progress = progress;
        this.stop = stop;
    }

    @Override
    public boolean fill(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            if (current == null && !openNext()) {
                return false;
            }
            int limit = buffer.limit();
            int start = buffer.position();
            if (remaining < buffer.remaining()) {
                buffer.limit(start + (int) remaining);
            }
            int read;
            try {
                read = current.read(buffer);
            } finally {
                buffer.limit(limit);
            }
            if (read < 0) {
                finishCurrent();  // shrank since it was listed
                continue;
            }
            ByteBuffer justRead = buffer.duplicate();
            justRead.position(start).limit(start + read);
            digest.update(justRead);
            remaining -= read;
            position += read;
            progress.addBytes(read);
            if (remaining == 0) {
                finishCurrent();
            }
        }
        return true;
    }

    private boolean openNext() throws IOException {
        while (++index < files.size()) {
            if (stop.get()) {
                throw new IOException("stopped");
            }
            DataDirectoryScan.ListedFile file = files.get(index);
            try {
                current = FileChannel.open(file.location());
            } catch (NoSuchFileException vanished) {
                progress.fileDone();
                continue;  // dropped or truncated away since it was listed: WAL replay recreates what is needed
            } catch (AccessDeniedException e) {
                throw new AccessDeniedException(file.location().toString(), null,
                        "permission denied. HINT: run walden-agent as the cluster's owner (postgres)");
            }
            remaining = file.size();
            fileStart = position;
            digest.reset();
            if (remaining == 0) {
                finishCurrent();
                continue;
            }
            return true;
        }
        return false;
    }

    private void finishCurrent() throws IOException {
        copied.add(new Copied(files.get(index), fileStart, position - fileStart, HexFormat.of().formatHex(digest.digest())));
        progress.fileDone();
        current.close();
        current = null;
    }

    /** The files copied, in order; complete once the object is written. */
    List<Copied> copied() {
        return copied;
    }

    void close() throws IOException {
        if (current != null) {
            current.close();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
