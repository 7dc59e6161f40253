package dev.walden.agent.verify;

import dev.walden.agent.backup.Manifest;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * Checks, as a data object streams past once, every stretch of it that some manifest says holds a file or a run of
 * blocks: a bundled file against its SHA-256, a run of blocks against each block's 64-bit checksum. Memory is one
 * digest per stretch being read, never the object.
 */
final class RegionCheck implements WritableByteChannel {
    /** A stretch of the object's original stream that a manifest describes. */
    sealed interface Region permits FileRegion, BlockRegion {
        long offset();

        long length();

        String describe();
    }

    /** A whole small file, stored at {@code offset} in a bundle. */
    record FileRegion(String manifest, String path, long offset, long length, String sha256) implements Region {
        public String describe() {
            return "file " + path + " (manifest of backup " + manifest + ")";
        }
    }

    /** Blocks {@code first .. first+count-1} of a large file, stored from {@code offset}. */
    record BlockRegion(String manifest, String path, long offset, long fileSize, int first, int count, Manifest.Blocks blocks)
            implements Region {
        public long length() {
            long end = Math.min(fileSize, (long) (first + count) * blocks.size());
            return end - (long) first * blocks.size();
        }

        public String describe() {
            return "blocks " + first + ".." + (first + count - 1) + " of " + path + " (manifest of backup " + manifest + ")";
        }
    }

    private final List<Region> pending;
    private int next;
    private final List<Active> active = new ArrayList<>();
    private long position;
    private final List<String> mismatches = new ArrayList<>();

    RegionCheck(List<Region> regions) {
        Map<String, Region> unique = new LinkedHashMap<>();
        for (Region r : regions) {
            String key = switch (r) {
                case FileRegion f -> "f:" + f.offset() + ":" + f.length() + ":" + f.sha256();
                case BlockRegion b -> "b:" + b.offset() + ":" + b.first() + ":" + b.count() + ":" + b.path();
            };
            unique.putIfAbsent(key, r);
        }
        pending = new ArrayList<>(unique.values());
        pending.sort(Comparator.comparingLong(Region::offset));
    }

    @Override
    public int write(ByteBuffer bytes) {
        int count = bytes.remaining();
        long start = position;
        long end = start + count;
        while (next < pending.size() && pending.get(next).offset() < end) {
            Region region = pending.get(next++);
            active.add(region instanceof FileRegion f ? new FileCheck(f) : new BlockCheck((BlockRegion) region));
        }
        Iterator<Active> it = active.iterator();
        while (it.hasNext()) {
            Active a = it.next();
            long from = Math.max(a.region().offset(), start);
            long to = Math.min(a.region().offset() + a.region().length(), end);
            if (to > from) {
                ByteBuffer slice = bytes.duplicate();
                slice.position(bytes.position() + (int) (from - start)).limit(bytes.position() + (int) (to - start));
                a.feed(slice);
            }
            if (a.region().offset() + a.region().length() <= end) {
                a.finish().ifPresent(mismatches::add);
                it.remove();
            }
        }
        bytes.position(bytes.limit());
        position = end;
        return count;
    }

    /** Closes the check once the whole object was read; regions that reach past its end are mismatches too. */
    List<String> finish() {
        for (Active a : active) {
            if (a.region().length() == 0) {
                a.finish().ifPresent(mismatches::add);
            } else {
                mismatches.add(a.region().describe() + " reaches past the end of the object (" + position + " bytes)");
            }
        }
        active.clear();
        for (int i = next; i < pending.size(); i++) {
            Region r = pending.get(i);
            if (r.length() > 0 || r.offset() > position) {
                mismatches.add(r.describe() + " starts at " + r.offset() + ", past the end of the object (" + position + " bytes)");
            }
        }
        next = pending.size();
        return List.copyOf(mismatches);
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void close() {}

    private interface Active {
        Region region();

        void feed(ByteBuffer bytes);

        java.util.Optional<String> finish();
    }

    private static final class FileCheck implements Active {
        private final FileRegion region;
        private final MessageDigest sha256;

        FileCheck(FileRegion region) {
            this.region = region;
            try {
                sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has SHA-256", e);
            }
        }

        public Region region() {
            return region;
        }

        public void feed(ByteBuffer bytes) {
            sha256.update(bytes);
        }

        public java.util.Optional<String> finish() {
            String actual = HexFormat.of().formatHex(sha256.digest());
            return actual.equals(region.sha256()) ? java.util.Optional.empty()
                    : java.util.Optional.of(region.describe() + ": its " + region.length() + " bytes at offset " + region.offset()
                    + " do not match its SHA-256");
        }
    }

    private static final class BlockCheck implements Active {
        private final BlockRegion region;
        private final CRC32C crc32c = new CRC32C();
        private final CRC32 crc32 = new CRC32();
        private int block;
        private long inBlock;
        private int bad;
        private int firstBad = -1;

        BlockCheck(BlockRegion region) {
            this.region = region;
            this.block = region.first();
        }

        public Region region() {
            return region;
        }

        private long blockLength(int index) {
            return Math.min(region.blocks().size(), region.fileSize() - (long) index * region.blocks().size());
        }

        public void feed(ByteBuffer bytes) {
            while (bytes.hasRemaining()) {
                int take = (int) Math.min(bytes.remaining(), blockLength(block) - inBlock);
                ByteBuffer piece = bytes.duplicate();
                piece.limit(piece.position() + take);
                crc32c.update(piece.duplicate());
                crc32.update(piece);
                bytes.position(bytes.position() + take);
                inBlock += take;
                if (inBlock == blockLength(block)) {
                    long checksum = crc32c.getValue() << 32 | crc32.getValue();
                    if (checksum != region.blocks().checksum(block)) {
                        bad++;
                        if (firstBad < 0) {
                            firstBad = block;
                        }
                    }
                    crc32c.reset();
                    crc32.reset();
                    inBlock = 0;
                    block++;
                }
            }
        }

        public java.util.Optional<String> finish() {
            return bad == 0 ? java.util.Optional.empty() : java.util.Optional.of(region.describe() + ": " + bad
                    + " block(s) do not match their checksums, the first is block " + firstBad);
        }
    }
}
