package dev.walden.agent.paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A path is judged where the kernel would put it: through links and {@code ..}. Whatever a caller passes as
 * {@code --pgdata}, a restore's {@code --force} deletes nothing outside the directory it resolves to, and nothing the
 * agent owns.
 */
class OwnedPathsTest {
    @TempDir
    Path root;
    Path repo;
    Path spool;
    Path keyring;
    Path config;
    Path victim;
    OwnedPaths owned;

    @BeforeEach
    void layout() throws IOException {
        repo = Files.createDirectories(root.resolve("var/repo/sys/wal"));
        Files.writeString(repo.resolve("000000010000000000000001"), "wal");
        repo = repo.getParent().getParent();
        Files.writeString(repo.resolve("walden.repository"), "id");
        spool = Files.createDirectories(root.resolve("var/spool"));
        Files.writeString(spool.resolve("seg"), "s");
        Path etc = Files.createDirectories(root.resolve("etc/walden"));
        keyring = Files.writeString(etc.resolve("keyring"), "k");
        config = Files.writeString(etc.resolve("walden-agent.conf"), "c");
        victim = Files.createDirectories(root.resolve("home/victim"));
        Files.writeString(victim.resolve("data.txt"), "v");
        Path links = Files.createDirectories(root.resolve("tmp/x"));
        Files.createSymbolicLink(links.resolve("lnrepo"), repo);
        Files.createSymbolicLink(links.resolve("lnetc"), etc);
        Files.createSymbolicLink(links.resolve("lnvar"), root.resolve("var"));
        Files.createSymbolicLink(links.resolve("dangling"), repo.resolve("not-yet"));
        Files.createSymbolicLink(links.resolve("loop"), links.resolve("loop"));
        Files.createDirectories(root.resolve("restore/fresh"));
        owned = new OwnedPaths(List.of(new OwnedPaths.Owned(repo, "repository"), new OwnedPaths.Owned(spool, "spool"),
                new OwnedPaths.Owned(keyring, "keyring"), new OwnedPaths.Owned(config, "configuration file")));
    }

    @Test
    void aLinkToTheRepositoryIsTheRepository() {
        for (String path : List.of("tmp/x/lnrepo", "tmp/x/lnrepo/sys", "tmp/x/lnvar", "tmp/x/lnvar/repo/../spool", "tmp/x/lnetc",
                "var", "var/repo/sys/..", "tmp/x/dangling", "tmp/x/lnvar/../etc", "etc/walden", "tmp/x/lnvar/spool/new")) {
            OwnedPaths.RefusedPathException e = assertThrows(OwnedPaths.RefusedPathException.class,
                    () -> owned.judge(root.resolve(path), "the data directory"), path);
            assertTrue(e.getMessage().contains("would overlap"), e.getMessage());
        }
    }

    @Test
    void dotDotAfterALinkGoesToTheLinksRealParent() throws Exception {
        // tmp/x/lnvar/.. is root (var's parent), not tmp/x: a lexical normalisation would judge the wrong directory.
        assertEquals(root.toRealPath().resolve("restore/new"), OwnedPaths.resolve(root.resolve("tmp/x/lnvar/../restore/new")));
        assertEquals(root.toRealPath().resolve("restore/fresh"), owned.judge(root.resolve("restore/./fresh"), "the data directory"));
    }

    @Test
    void forceDeletesALinkNeverWhatItPointsTo() throws Exception {
        Path target = root.resolve("restore/fresh");
        Files.createSymbolicLink(target.resolve("pg_wal"), repo);
        Files.createSymbolicLink(target.resolve("victim"), victim);
        Files.writeString(target.resolve("PG_VERSION"), "15");
        TreeDeletion.clear(target);
        try (Stream<Path> left = Files.list(target)) {
            assertEquals(0, left.count());
        }
        assertTrue(Files.exists(repo.resolve("walden.repository")));
        assertTrue(Files.exists(victim.resolve("data.txt")));
        assertThrows(IOException.class, () -> TreeDeletion.clear(root.resolve("tmp/x/lnrepo")));
    }

    /** Random --pgdata values from links, "..", "." and the agent's own paths: --force never deletes a byte outside its target. */
    @Test
    void noPathDeletesAnythingOutsideTheDirectoryItResolvesTo() throws Exception {
        List<String> parts = List.of("..", ".", "tmp", "x", "lnrepo", "lnetc", "lnvar", "dangling", "var", "repo", "sys", "spool",
                "etc", "walden", "keyring", "restore", "fresh", "new", "home", "victim", "loop");
        Random random = new Random(20261204);
        int accepted = 0;
        for (int round = 0; round < 3000; round++) {
            StringBuilder relative = new StringBuilder();
            for (int n = 1 + random.nextInt(6); n > 0; n--) {
                relative.append(parts.get(random.nextInt(parts.size()))).append('/');
            }
            Path requested = root.resolve(relative.toString());
            Map<Path, String> before = snapshot();
            Path resolved;
            try {
                resolved = owned.judge(requested, "the data directory");
            } catch (OwnedPaths.RefusedPathException refused) {
                continue;
            } catch (IOException unresolvable) {
                continue;  // a link loop: refused as the kernel would (ELOOP)
            }
            if (!resolved.startsWith(root.toRealPath()) || !Files.isDirectory(resolved, LinkOption.NOFOLLOW_LINKS)) {
                continue;  // outside the sandbox, or not yet there: --force has nothing to delete
            }
            accepted++;
            TreeDeletion.clear(resolved);
            for (var file : before.entrySet()) {
                if (!file.getKey().startsWith(resolved)) {
                    assertTrue(Files.exists(file.getKey(), LinkOption.NOFOLLOW_LINKS), requested + " (" + resolved + ") deleted " + file.getKey());
                }
            }
            assertTrue(Files.exists(repo.resolve("walden.repository")) && Files.exists(keyring) && Files.exists(config)
                    && Files.exists(spool.resolve("seg")), requested + " destroyed something the agent owns");
            layoutAgain();
        }
        assertTrue(accepted > 40, "the property was exercised on " + accepted + " accepted paths");
    }

    private Map<Path, String> snapshot() throws IOException {
        Map<Path, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root.toRealPath())) {
            for (Path path : (Iterable<Path>) all::iterator) {
                files.put(path, Files.isSymbolicLink(path) ? "link" : "");
            }
        }
        return files;
    }

    /** Puts back what an accepted --force emptied (victim's file, the fresh directory), so each round starts alike. */
    private void layoutAgain() throws IOException {
        Files.createDirectories(victim);
        if (!Files.exists(victim.resolve("data.txt"))) {
            Files.writeString(victim.resolve("data.txt"), "v");
        }
        Files.createDirectories(root.resolve("restore/fresh"));
        List<String> expected = new ArrayList<>(List.of("tmp/x/lnrepo", "tmp/x/lnetc", "tmp/x/lnvar", "tmp/x/dangling", "tmp/x/loop"));
        for (String link : expected) {
            if (!Files.exists(root.resolve(link), LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(root.resolve("tmp/x"));
                Path target = switch (link) {
                    case "tmp/x/lnrepo" -> repo;
                    case "tmp/x/lnetc" -> keyring.getParent();
                    case "tmp/x/lnvar" -> root.resolve("var");
                    case "tmp/x/dangling" -> repo.resolve("not-yet");
                    default -> root.resolve(link);
                };
                Files.createSymbolicLink(root.resolve(link), target);
            }
        }
    }
}
