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
import java.util.TreeMap;
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

    /**
     * @param tablespaces    the cluster's tablespaces (OID and location), as the server reports them
     * @param walDirectories the directories under pg_wal to recreate empty (the major's, from PostgresMajor)
     */
    public static Listing scan(Path dataDirectory, List<Manifest.Tablespace> tablespaces, List<String> walDirectories)
            throws IOException {
        List<Manifest.Directory> directories = new ArrayList<>();
        List<ListedFile> files = new ArrayList<>();
        walk(dataDirectory, "", true, directories, files, walDirectories);
        for (Manifest.Tablespace tablespace : tablespaces) {
            String base = "pg_tblspc/" + tablespace.oid();
            Path location = Path.of(tablespace.location());
            directories.add(new Manifest.Directory(base, mode(location)));
            walk(location, base + "/", false, directories, files, walDirectories);
        }
        return new Listing(directories, files, tablespaces);
    }

    private static void walk(Path directory, String prefix, boolean top, List<Manifest.Directory> directories,
                             List<ListedFile> files, List<String> walDirectories) throws IOException {
        Map<String, Path> entries = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path entry : stream) {
                entries.put(entry.getFileName().toString(), entry);
            }
        } catch (NoSuchFileException vanished) {
            return;
        }
        Set<String> unloggedRelations = unloggedRelations(entries.keySet());
        for (var entry : entries.entrySet()) {
            String name = entry.getKey();
            Path path = entry.getValue();
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
                walk(path, relative + "/", false, directories, files, walDirectories);
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
            files.add(new ListedFile(relative, path, (Long) attributes.get("size"), nanos, mode));
        }
    }

    /** Relations with an init fork are unlogged: only the init fork is backed up, the rest is reset at recovery. */
    private static Set<String> unloggedRelations(Set<String> names) {
        Set<String> unlogged = new java.util.HashSet<>();
        for (String name : names) {
            if (name.endsWith("_init")) {
                var matcher = RELATION.matcher(name);
                if (matcher.matches()) {
                    unlogged.add(matcher.group(1));
                }
            }
        }
        return unlogged;
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
