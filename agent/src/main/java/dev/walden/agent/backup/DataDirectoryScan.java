package dev.walden.agent.backup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Lists what a base backup copies from a data directory and its tablespaces, skipping what pg_basebackup skips
 * (PostgreSQL's basebackup.c): the contents of pg_wal and of the directories rebuilt at start-up, the server's
 * own runtime files, temporary files and relations, and the non-init forks of unlogged relations. Tablespace
 * contents are named under {@code pg_tblspc/OID/}. Files that vanish while listed are simply not listed.
 */
public final class DataDirectoryScan {
    /** Directories kept, empty: PostgreSQL recreates their contents. */
    static final Set<String> EXCLUDED_CONTENTS = Set.of(
            "pg_wal", "pg_stat_tmp", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans");
    /** Files never copied, wherever they are in the top directory. */
    static final Set<String> EXCLUDED_FILES = Set.of(
            "postmaster.pid", "postmaster.opts", "postgresql.auto.conf.tmp", "current_logfiles.tmp",
            "backup_label", "tablespace_map", "backup_manifest", "recovery.signal", "standby.signal");
    private static final Pattern TEMP_RELATION = Pattern.compile("t[0-9]+_[0-9]+(_(fsm|vm|init))?(\\.[0-9]+)?");
    private static final Pattern RELATION = Pattern.compile("([0-9]+)(_(fsm|vm|init))?(\\.[0-9]+)?");

    private DataDirectoryScan() {}

    /** A file to copy: its manifest path, where it is now, and its attributes when listed. */
    public record ListedFile(String path, Path location, long size, long mtimeNanos, int mode) {}

    public record Listing(List<Manifest.Directory> directories, List<ListedFile> files, List<Manifest.Tablespace> tablespaces) {
        public long bytes() {
            return files.stream().mapToLong(ListedFile::size).sum();
        }
    }

    /** As {@link #scan(Path, List, List)} with PostgreSQL 15's pg_wal layout. */
    public static Listing scan(Path dataDirectory, List<Manifest.Tablespace> tablespaces) throws IOException {
        return scan(dataDirectory, tablespaces, List.of("pg_wal/archive_status"));
    }

    /** The whole listing in memory; for tests and small directories (a backup streams with {@link #walk}). */
    public static Listing scan(Path dataDirectory, List<Manifest.Tablespace> tablespaces, List<String> walDirectories)
            throws IOException {
        List<ListedFile> files = new ArrayList<>();
        try {
            List<Manifest.Directory> directories = walk(dataDirectory, tablespaces, walDirectories, files::add);
            return new Listing(directories, files, tablespaces);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Receives each file as it is listed. */
    @FunctionalInterface
    public interface FileVisitor {
        void file(ListedFile file) throws Exception;
    }

    /**
     * Lists the data directory and its tablespaces, handing each file to {@code visitor} in strictly increasing path
     * order ({@link PathOrder}, the order manifests keep): each directory's entries are
     * sorted by name, a directory's as NAME/, and the tablespaces are listed where pg_tblspc sorts, by OID as text.
     * Only one directory's names are held at a time.
     *
     * @param tablespaces    the cluster's tablespaces (OID and location), as the server reports them
     * @param walDirectories the directories under pg_wal to recreate empty (the major's, from PostgresMajor)
     * @return the directories to recreate, which are few whatever the number of files
     */
    public static List<Manifest.Directory> walk(Path dataDirectory, List<Manifest.Tablespace> tablespaces, List<String> walDirectories,
                                                FileVisitor visitor) throws Exception {
        List<Manifest.Directory> directories = new ArrayList<>();
        walk(dataDirectory, "", true, directories, visitor, walDirectories, tablespaces);
        return directories;
    }

    private static void walk(Path directory, String prefix, boolean top, List<Manifest.Directory> directories,
                             FileVisitor visitor, List<String> walDirectories, List<Manifest.Tablespace> tablespaces)
            throws Exception {
        // Sorted as their paths will sort: a directory's contents follow NAME/, so "a.b" comes before "a/x". The names
        // are packed, so that a database directory of a million files costs some 15 MB, not a hundred.
        SortedNames entries = new SortedNames();
        Set<String> unloggedRelations = new java.util.HashSet<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path entry : stream) {
                String name = entry.getFileName().toString();
                boolean directoryLike = Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)
                        || (top && (name.equals("pg_wal") || name.equals("pg_tblspc")));
                entries.add(directoryLike ? name + "/" : name);
                if (name.endsWith("_init")) {
                    var matcher = RELATION.matcher(name);
                    if (matcher.matches()) {
                        unloggedRelations.add(matcher.group(1));
                    }
                }
            }
        } catch (NoSuchFileException vanished) {
            return;
        }
        entries.sort();
        for (int index = 0; index < entries.size(); index++) {
            String key = entries.get(index);
            String name = key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
            Path path = directory.resolve(name);
            String relative = prefix + name;
            Map<String, Object> attributes;
            try {
                attributes = Files.readAttributes(path, "unix:mode,size,lastModifiedTime,isDirectory,isRegularFile,isSymbolicLink",
                        LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException vanished) {
                continue;
            }
            int mode = (Integer) attributes.get("mode") & 07777;
            if (name.startsWith("pgsql_tmp") || TEMP_RELATION.matcher(name).matches() || name.startsWith("pg_internal.init")) {
                continue;
            }
            if (top && relative.equals("pg_tblspc")) {
                directories.add(new Manifest.Directory(relative, mode));  // links recreated from the tablespace list
                List<Manifest.Tablespace> byOid = new ArrayList<>(tablespaces);
                byOid.sort(java.util.Comparator.comparing(t -> Long.toString(t.oid())));
                for (Manifest.Tablespace tablespace : byOid) {
                    String base = "pg_tblspc/" + tablespace.oid();
                    Path location = Path.of(tablespace.location());
                    directories.add(new Manifest.Directory(base, mode(location)));
                    walk(location, base + "/", false, directories, visitor, walDirectories, tablespaces);
                }
                continue;
            }
            boolean directoryLike = (Boolean) attributes.get("isDirectory")
                    || (top && (Boolean) attributes.get("isSymbolicLink") && name.equals("pg_wal"));
            if (directoryLike) {
                directories.add(new Manifest.Directory(relative, (Boolean) attributes.get("isDirectory") ? mode : 0700));
                if (top && EXCLUDED_CONTENTS.contains(name)) {
                    if (name.equals("pg_wal")) {
                        walDirectories.forEach(d -> directories.add(new Manifest.Directory(d, 0700)));
                    }
                    continue;
                }
                walk(path, relative + "/", false, directories, visitor, walDirectories, tablespaces);
                continue;
            }
            if (!(Boolean) attributes.get("isRegularFile")) {
                continue;  // sockets, stray links: nothing PostgreSQL needs back
            }
            if (top && EXCLUDED_FILES.contains(name)) {
                continue;
            }
            if (isUnloggedFork(name, unloggedRelations)) {
                continue;
            }
            FileTime modified = (FileTime) attributes.get("lastModifiedTime");
            long nanos = modified.toInstant().getEpochSecond() * 1_000_000_000L + modified.toInstant().getNano();
            visitor.file(new ListedFile(relative, path, (Long) attributes.get("size"), nanos, mode));
        }
    }

    /**
     * One directory's names, packed as UTF-8 in one array and sorted by their bytes: the order of code points, which
     * {@link PathOrder} keeps for whole paths.
     */
    public static final class SortedNames {
        private byte[] bytes = new byte[4096];
        private int[] starts = new int[64];
        private int count;
        private int end;

        public void add(String name) {
            byte[] utf8 = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (end + utf8.length > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, end + utf8.length));
            }
            if (count + 2 > starts.length) {
                starts = java.util.Arrays.copyOf(starts, starts.length * 2);
            }
            System.arraycopy(utf8, 0, bytes, end, utf8.length);
            starts[count++] = end;
            end += utf8.length;
            starts[count] = end;
        }

        public int size() {
            return count;
        }

        /** The name at {@code index} in sorted order. */
        public String get(int index) {
            int at = order[index];
            return new String(bytes, starts[at], length(at), java.nio.charset.StandardCharsets.UTF_8);
        }

        private int[] order = new int[0];
        private int[] ends;

        private int length(int at) {
            return ends[at] - starts[at];
        }

        public void sort() {
            ends = new int[count];
            for (int i = 0; i < count; i++) {
                ends[i] = i + 1 < count ? starts[i + 1] : end;
            }
            order = new int[count];
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            int[] scratch = new int[count];
            for (int width = 1; width < count; width *= 2) {  // bottom-up merge sort: stable, no boxing
                for (int low = 0; low < count - width; low += 2 * width) {
                    merge(low, low + width, Math.min(low + 2 * width, count), scratch);
                }
            }
        }

        private void merge(int low, int middle, int high, int[] scratch) {
            System.arraycopy(order, low, scratch, low, high - low);
            int left = low;
            int right = middle;
            for (int out = low; out < high; out++) {
                if (left < middle && (right >= high || compare(scratch[left], scratch[right]) <= 0)) {
                    order[out] = scratch[left++];
                } else {
                    order[out] = scratch[right++];
                }
            }
        }

        private int compare(int a, int b) {
            return java.util.Arrays.compareUnsigned(bytes, starts[a], ends[a], bytes, starts[b], ends[b]);
        }
    }

    private static boolean isUnloggedFork(String name, Set<String> unloggedRelations) {
        if (unloggedRelations.isEmpty()) {
            return false;
        }
        var matcher = RELATION.matcher(name);
        return matcher.matches() && unloggedRelations.contains(matcher.group(1)) && !"_init".equals(matcher.group(2));
    }

    private static int mode(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode") & 07777;
    }
}
