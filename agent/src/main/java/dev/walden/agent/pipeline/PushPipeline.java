package dev.walden.agent.pipeline;

import dev.walden.agent.codec.Compressor;
import dev.walden.agent.crypto.Keyring;
import dev.walden.agent.crypto.ObjectEncryption;
import dev.walden.agent.pipeline.ArchivedObjectFormat.Trailer;
import dev.walden.agent.repository.Repository;
import dev.walden.agent.repository.RepositoryFormatException;
import dev.walden.agent.repository.WrongClusterException;
import dev.walden.agent.storage.Storage;
import dev.walden.agent.wal.ControlFile;
import dev.walden.agent.wal.InvalidWalFileException;
import dev.walden.agent.wal.WalFileName;
import dev.walden.agent.wal.WalSegmentHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import dev.walden.agent.wal.BackupHistoryFile;
import dev.walden.agent.wal.TimelineHistory;
import dev.walden.agent.wal.WalFileKind;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;

/** validate → compress → store, for one file PostgreSQL hands to {@code archive_command}. */
public final class PushPipeline {
    /** History and backup label files are a few KiB; anything larger under those names is not one. */
    static final long MAX_SMALL_FILE = 16L << 20;

    private final Repository repository;
    private final Compressor compressor;
    private final ObjectEncryption encryption;
    private final Keyring keyring;
    /**
     * Compression is the CPU-heavy part of a push; more pushes compressing at once than there are cores only adds
     * context switches and cache misses (measured: 40% more CPU per segment with 4 threads on 2 cores). Pushes beyond
     * this many wait here, while others upload: the upload threads can outnumber the cores without that cost.
     */
    private final Semaphore compressing = new Semaphore(Runtime.getRuntime().availableProcessors());

    public PushPipeline(Repository repository, Compressor compressor, ObjectEncryption encryption, Keyring keyring) {
        this.repository = repository;
        this.compressor = compressor;
        this.encryption = encryption;
        this.keyring = keyring;
    }

    /**
     * What a successful push did.
     *
     * @param newerMajorMagic the WAL page magic of a PostgreSQL newer than Walden knows, archived on the strength of
     *                        the rest of its header; 0 for a known major (and for files without WAL pages)
     */
    public record Outcome(boolean alreadyArchived, long originalBytes, long storedBytes, int newerMajorMagic) {
        public Outcome(boolean alreadyArchived, long originalBytes, long storedBytes) {
            this(alreadyArchived, originalBytes, storedBytes, 0);
        }
    }

    /** The cluster a file belongs to, and the page magic when its major is newer than Walden knows (else 0). */
    private record Origin(long systemIdentifier, int newerMajorMagic) {}

    /**
     * Archives {@code source} as {@code name}. Returns only once the object is durable, or when an identical file
     * is already archived.
     *
     * @throws RejectedFileException the file is not acceptable (bad header, wrong size, wrong cluster, missing)
     * @throws ConflictException a different file is archived under this name; it is kept
     * @throws IOException the repository failed; nothing was acknowledged
     */
    public Outcome push(WalFileName name, Path source)
            throws IOException, RejectedFileException, ConflictException, RepositoryFormatException {
        requireRegularFile(source);
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = channel.size();
            Origin origin = clusterOf(name, source, channel, size);
            long systemIdentifier = origin.systemIdentifier();
            try {
                repository.claim(systemIdentifier, encryption.repositoryMode());
            } catch (WrongClusterException e) {
                throw new RejectedFileException(e.getMessage());
            }
            String key = Repository.objectKey(systemIdentifier, name);
            Storage storage = repository.storage(name);
            // putIfAbsent checks for an existing object before it calls the writer, so an archived file is neither
            // compressed nor uploaded again; it is then compared below.
            Trailer[] written = new Trailer[1];
            long[] storedBytes = new long[1];
            Storage.PutOutcome outcome = storage.putIfAbsent(key, out -> {
                CountingOutputStream counting = new CountingOutputStream(out);
                compressing.acquireUninterruptibly();
                try {
                    written[0] = ObjectCodec.write(counting, ObjectKind.of(name.kind()), name.name(), compressor, encryption, channel);
                } finally {
                    compressing.release();
                }
                storedBytes[0] = counting.count();
            });
            if (outcome == Storage.PutOutcome.ALREADY_EXISTS) {
                Outcome same = compareWithArchived(name, key, channel);
                return new Outcome(same.alreadyArchived(), same.originalBytes(), same.storedBytes(), origin.newerMajorMagic());
            }
            Trailer trailer = written[0];
            if (trailer.originalLength() != size) {
                throw new RejectedFileException("file changed size while being archived (" + size + " → "
                        + trailer.originalLength() + " bytes)");
            }
            return new Outcome(false, size, storedBytes[0], origin.newerMajorMagic());
        } catch (NoSuchFileException e) {
            throw new RejectedFileException("no such file " + source);
        } catch (AccessDeniedException e) {
            throw new RejectedFileException("permission denied reading " + source);
        }
    }

    /** Only a regular file, never through a link: a link named like a WAL file could hand over any file the agent reads. */
    private static void requireRegularFile(Path source) throws IOException, RejectedFileException {
        try {
            if (!Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile()) {
                throw new RejectedFileException(source + " is not a regular file (a symbolic link, a directory or a device);"
                        + " PostgreSQL archives only regular files");
            }
        } catch (NoSuchFileException e) {
            throw new RejectedFileException("no such file " + source);
        }
    }

    /**
     * Checks {@code source} as {@link #push} does — a regular file of this cluster, with a sound header and the size its
     * name promises — without storing anything: pg-wal-guard = drop never acknowledges a file a push would refuse.
     *
     * @return the system identifier of the cluster it belongs to
     * @throws RejectedFileException as {@link #push} would, also for a file of another cluster than the repository's
     */
    public long check(WalFileName name, Path source) throws IOException, RejectedFileException, RepositoryFormatException {
        requireRegularFile(source);
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long system = clusterOf(name, source, channel, channel.size()).systemIdentifier();
            OptionalLong archives = repository.systemIdentifier();
            if (archives.isPresent() && archives.getAsLong() != system) {
                throw new RejectedFileException("file belongs to database system " + Long.toUnsignedString(system)
                        + " but the repository archives system " + Long.toUnsignedString(archives.getAsLong())
                        + ". HINT: give each cluster its own repository");
            }
            return system;
        } catch (NoSuchFileException e) {
            throw new RejectedFileException("no such file " + source);
        } catch (AccessDeniedException e) {
            throw new RejectedFileException("permission denied reading " + source);
        }
    }

    private Origin clusterOf(WalFileName name, Path source, FileChannel channel, long size)
            throws IOException, RejectedFileException, RepositoryFormatException {
        try {
            if (name.kind().hasWalPages()) {
                ByteBuffer headerBytes = ByteBuffer.allocate(WalSegmentHeader.LENGTH);
                while (headerBytes.hasRemaining() && channel.read(headerBytes, headerBytes.position()) > 0) {
                    // keep reading: a short read of a regular file is possible, not an error
                }
                WalSegmentHeader header = WalSegmentHeader.parse(headerBytes.flip());
                header.checkMatches(name, size);
                if (header.major().isPresent()) {
                    return new Origin(header.systemIdentifier(), 0);
                }
                // A newer major's magic: archived only when the cluster is confirmed too, by the data directory's
                // pg_control or by the repository this cluster already archives into (claim compares it).
                OptionalLong control = ControlFile.systemIdentifierForWalPath(source);
                boolean confirmed = control.isPresent() ? control.getAsLong() == header.systemIdentifier()
                        : repository.systemIdentifier().isPresent();
                if (!confirmed) {
                    throw new RejectedFileException(name.name() + ": page magic 0x" + Integer.toHexString(header.magic())
                            + " is newer than any PostgreSQL Walden knows, and the file's cluster cannot be confirmed"
                            + (control.isPresent() ? " (pg_control names system " + Long.toUnsignedString(control.getAsLong()) + ")" : "")
                            + ". HINT: upgrade Walden");
                }
                return new Origin(header.systemIdentifier(), header.magic());
            }
        } catch (InvalidWalFileException e) {
            throw new RejectedFileException(name.name() + ": " + e.getMessage());
        }
        if (size > MAX_SMALL_FILE) {
            throw new RejectedFileException(name.name() + " is " + size + " bytes; a " + name.kind() + " file is never that large");
        }
        checkContent(name, channel, size);
        OptionalLong fromControlFile = ControlFile.systemIdentifierForWalPath(source);
        if (fromControlFile.isPresent()) {
            return new Origin(fromControlFile.getAsLong(), 0);
        }
        OptionalLong fromRepository = repository.systemIdentifier();
        if (fromRepository.isPresent()) {
            return new Origin(fromRepository.getAsLong(), 0);
        }
        throw new RejectedFileException("cannot tell which cluster " + name.name() + " belongs to: " + source
                + " is not in a data directory's pg_wal and the repository is empty");
    }

    /**
     * A timeline history file must parse as PostgreSQL's, and a backup history file as pg_backup_stop writes it: a
     * damaged one archived would stop a later recovery ("syntax error in history file") when it is needed most.
     */
    private static void checkContent(WalFileName name, FileChannel channel, long size) throws IOException, RejectedFileException {
        ByteBuffer bytes = ByteBuffer.allocate((int) size);
        while (bytes.hasRemaining() && channel.read(bytes, bytes.position()) > 0) {
            // keep reading
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(bytes.flip()).toString();
        } catch (CharacterCodingException e) {
            throw new RejectedFileException(name.name() + " is not text; it is not a " + describe(name.kind()) + " that PostgreSQL writes");
        }
        try {
            if (name.kind() == WalFileKind.TIMELINE_HISTORY) {
                TimelineHistory.parse(name.timeline(), text);
            } else if (name.kind() == WalFileKind.BACKUP_LABEL) {
                BackupHistoryFile.check(name.name(), text);
            }
        } catch (IllegalArgumentException e) {
            throw new RejectedFileException(e.getMessage() + "; it was not archived. HINT: a file under that name in pg_wal that"
                    + " PostgreSQL did not write? Compare it with the server's own");
        }
    }

    private static String describe(WalFileKind kind) {
        return kind == WalFileKind.TIMELINE_HISTORY ? "timeline history file" : "backup history file";
    }

    /**
     * Reads the archived object back (decrypting and verifying it) and compares it byte for byte with the file: a
     * re-push is rare (a crash between upload and PostgreSQL's .done), so certainty beats a cheaper hash comparison.
     */
    private Outcome compareWithArchived(WalFileName name, String key, FileChannel candidate)
            throws IOException, ConflictException {
        boolean same;
        try (java.io.InputStream object = repository.storage().open(key)) {
            same = ObjectCodec.sameContent(object, name.name(), ObjectKind.of(name.kind()), keyring, candidate);
        } catch (CorruptObjectException e) {
            throw new ConflictException("the archived copy under this name is damaged (" + e.getMessage()
                    + "); it was left in place. HINT: compare it with the WAL file (walden fetch shows why it cannot be read);"
                    + " the repository never overwrites an object, so remove the damaged one by hand once you know which"
                    + " copy is right, and PostgreSQL's next try archives the file");
        }
        long size = candidate.size();
        if (!same) {
            throw new ConflictException("a different file is already archived under this name (" + size
                    + " bytes offered, content differs); the archived copy was kept."
                    + " HINT: two clusters archiving into one repository?");
        }
        return new Outcome(true, size, 0);
    }
}
