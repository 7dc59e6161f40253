package dev.walden.agent.storage.mirror;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one repository still lacks of what was written while it failed or was behind, in the order it was written:
 * a durable, append-only log in the spool ({@code repoN.behind}), consumed from the front by the catch-up worker,
 * which records how far it got in {@code repoN.behind-done}. Nothing of it is held in memory but a count and the
 * time of the oldest entry, so a repository may fall behind by any number of objects.
 *
 * <p>Replaying an entry is harmless (a copy of an object already there is a no-op, a delete of an absent one too),
 * so the position is saved without a sync, and once per batch rather than per entry: after a crash some entries are
 * applied twice, never skipped.
 */
final class BehindLog {
    /** One thing the repository lacks: a copy of {@code key} from another repository, or its removal. */
    record Entry(boolean copy, Instant at, String key, long end) {}

    private final Path log;
    private final Path done;
    private long pending;
    private Optional<Instant> oldest = Optional.empty();
    /** How far the entries are applied, and how long the log is: kept here, written to {@code done} per batch. */
    private long position;
    private long length;

    BehindLog(Path spool, int repository) throws IOException {
        Files.createDirectories(spool);
        this.log = spool.resolve("repo" + repository + ".behind");
        this.done = spool.resolve("repo" + repository + ".behind-done");
        dropTornTail();
        position = savedPosition();
        length = Files.exists(log) ? Files.size(log) : 0;
        long[] count = {0};
        read(position, Long.MAX_VALUE, entry -> {
            if (count[0]++ == 0) {
                oldest = Optional.of(entry.at());
            }
        });
        pending = count[0];
    }

    /** A crash inside an append can leave a last line without its newline; that append never returned, so it goes. */
    private void dropTornTail() throws IOException {
        if (!Files.exists(log)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long end = channel.size();
            ByteBuffer one = ByteBuffer.allocate(1);
            while (end > 0) {
                one.clear();
                channel.read(one, end - 1);
                if (one.get(0) == '\n') {
                    break;
                }
                end--;
            }
            if (end < channel.size()) {
                channel.truncate(end);
                channel.force(false);
            }
        }
    }

    /** Records durably, in this order, that the repository lacks these (each {@code P key} or {@code D key}). */
    synchronized void append(boolean copy, List<String> keys, Instant at) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (String key : keys) {
            lines.append(copy ? 'P' : 'D').append(' ').append(at.toEpochMilli()).append(' ').append(key).append('\n');
        }
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer bytes = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                length += channel.write(bytes);
            }
            channel.force(false);
        }
        if (pending == 0) {
            oldest = Optional.of(at);
        }
        pending += keys.size();
        notifyAll();
    }

    synchronized boolean isEmpty() {
        return pending == 0;
    }

    synchronized long pending() {
        return pending;
    }

    /** When the oldest entry still to apply was written; empty when the repository is in step. */
    synchronized Optional<Instant> oldest() {
        return oldest;
    }

    /** Waits up to {@code millis} for an entry to arrive. */
    synchronized void awaitEntries(long millis) throws InterruptedException {
        if (pending == 0) {
            wait(millis);
        }
    }

    /** Up to {@code max} entries from the front, in order. */
    List<Entry> next(int max) throws IOException {
        long from;
        synchronized (this) {
            from = position;
        }
        List<Entry> entries = new ArrayList<>();
        read(from, max, entries::add);
        return entries;
    }

    /**
     * Marks an entry, and every one before it, as applied. When that is all of the log, the log is removed, under the
     * same lock that appends take, so nothing appended meanwhile is lost.
     *
     * @param nextAt when the entry after it was written, which is then the oldest one waiting
     */
    synchronized void applied(Entry entry, Optional<Instant> nextAt) throws IOException {
        pending = Math.max(0, pending - 1);
        position = entry.end();
        if (position >= length) {
            Files.deleteIfExists(done);
            Files.deleteIfExists(log);
            pending = 0;
            position = 0;
            length = 0;
            oldest = Optional.empty();
            return;
        }
        oldest = nextAt.isPresent() ? nextAt : oldest;
    }

    /** Writes how far the entries are applied, so that a restart does not apply them again (a batch's worth at most). */
    synchronized void savePosition() throws IOException {
        if (position == 0) {
            return;
        }
        Path temp = done.resolveSibling(done.getFileName() + ".tmp");
        Files.writeString(temp, Long.toString(position), StandardCharsets.UTF_8);
        Files.move(temp, done, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private long savedPosition() throws IOException {
        try {
            return Long.parseLong(Files.readString(done, StandardCharsets.UTF_8).strip());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (NumberFormatException e) {
            // A damaged position only replays entries, which is harmless.
            return 0;
        }
    }

    private void read(long from, long max, java.util.function.Consumer<Entry> visitor) throws IOException {
        long count = 0;
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ)) {
            channel.position(from);
            BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            long offset = from;
            String line;
            while (count < max && (line = reader.readLine()) != null) {
                offset += line.getBytes(StandardCharsets.UTF_8).length + 1;
                String[] parts = line.split(" ", 3);
                if (parts.length != 3 || !(parts[0].equals("P") || parts[0].equals("D"))) {
                    continue;  // a torn last line of a crash: its append never returned, so nothing was acknowledged by it
                }
                visitor.accept(new Entry(parts[0].equals("P"), Instant.ofEpochMilli(Long.parseLong(parts[1])), parts[2], offset));
                count++;
            }
        } catch (NoSuchFileException e) {
            // nothing behind
        }
    }
}
