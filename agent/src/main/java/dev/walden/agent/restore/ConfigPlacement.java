package dev.walden.agent.restore;

import dev.walden.agent.backup.Manifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a restore writes the configuration files a backup kept from outside the data directory, and what they say
 * there. Into the restored data directory (the default), under the names PostgreSQL looks for when nothing points
 * elsewhere, with postgresql.conf rewritten so that the directory starts on its own: its data_directory, hba_file,
 * ident_file and external_pid_file lines (which name the live cluster's files) are commented out, and includes of
 * kept files point at the copies. Into {@code --config-to DIR}: as they were, for pg_createcluster's layout.
 */
final class ConfigPlacement {
    /** The settings of postgresql.conf that name another cluster's files: harmful in a restored copy. */
    static final List<String> LIVE_PATHS = List.of("data_directory", "hba_file", "ident_file", "external_pid_file");
    private static final Pattern INCLUDE = Pattern.compile("^(\\s*(include|include_if_exists|include_dir)\\s*=?\\s*)'([^']*)'(.*)$");

    /** One file to write: where (relative to the directory it goes in), and its text. */
    record Placed(Manifest.ConfigFile file, String name, String text) {}

    private ConfigPlacement() {}

    /**
     * @param intoDataDirectory true for the restored data directory (names and rewrites for it), false for --config-to
     */
    static List<Placed> place(List<Manifest.ConfigFile> files, boolean intoDataDirectory, String backupId) {
        Optional<Path> configDir = files.stream().filter(f -> f.role().equals("config_file")).findFirst()
                .map(f -> Path.of(f.path()).getParent());
        Map<String, String> names = new LinkedHashMap<>();
        for (Manifest.ConfigFile file : files) {
            names.put(file.path(), name(file, configDir, intoDataDirectory, names.values()));
        }
        List<Placed> placed = new ArrayList<>();
        for (Manifest.ConfigFile file : files) {
            String text = file.text();
            if (intoDataDirectory && (file.role().equals("config_file") || file.role().equals("include"))) {
                text = rewrite(text, Path.of(file.path()).getParent(), configDir, names, backupId);
            }
            placed.add(new Placed(file, names.get(file.path()), text));
        }
        return placed;
    }

    private static String name(Manifest.ConfigFile file, Optional<Path> configDir, boolean intoDataDirectory,
                               java.util.Collection<String> taken) {
        if (intoDataDirectory) {
            switch (file.role()) {
                case "config_file": return "postgresql.conf";
                case "hba_file": return "pg_hba.conf";
                case "ident_file": return "pg_ident.conf";
                default: break;
            }
        }
        Path path = Path.of(file.path());
        String name = configDir.isPresent() && path.startsWith(configDir.get()) ? configDir.get().relativize(path).toString()
                : path.getFileName().toString();
        String unique = name;
        for (int i = 2; taken.contains(unique); i++) {
            unique = name + "." + i;
        }
        return unique;
    }

    /** Comments out the settings that name the live cluster's files, and points includes of kept files at their copies. */
    static String rewrite(String text, Path fileDir, Optional<Path> configDir, Map<String, String> names, String backupId) {
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            String key = line.strip().split("[\\s=]", 2)[0];
            Matcher include = INCLUDE.matcher(line);
            if (LIVE_PATHS.contains(key)) {
                out.append("# ").append(line).append("    # commented out by walden restore ").append(backupId)
                        .append(": it names the original cluster's file\n");
            } else if (include.matches()) {
                Path target = fileDir.resolve(include.group(3)).normalize();
                String copy = names.get(target.toString());
                if (copy == null && include.group(2).equals("include_dir") && configDir.isPresent() && target.startsWith(configDir.get())) {
                    copy = configDir.get().relativize(target).toString();  // its files were kept under the same relative path
                }
                out.append(copy == null ? line : include.group(1) + "'" + copy + "'" + include.group(4)).append('\n');
            } else {
                out.append(line).append('\n');
            }
        }
        return out.substring(0, out.length() - 1);
    }
}
