package dev.walden.agent.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A manifest path can only land inside the data directory or a tablespace; remapped tablespaces are rewritten. */
class RestorerPathsTest {
    final Path target = Path.of("/srv/restore");
    final Map<Long, Path> tablespaces = Map.of(16385L, Path.of("/srv/ts-new"));

    @Test
    void pathsLandInTheDataDirectoryOrTheirTablespace() throws Exception {
        assertEquals(Path.of("/srv/restore/base/5/16384"), Restorer.locate(target, "base/5/16384", tablespaces));
        assertEquals(Path.of("/srv/ts-new/PG_15_202209061/5/16400"),
                Restorer.locate(target, "pg_tblspc/16385/PG_15_202209061/5/16400", tablespaces));
    }

    @Test
    void pathTricksInAManifestAreRefused() {
        for (String bad : new String[] {"../etc/passwd", "/etc/passwd", "base/../../x", "base//x"}) {
            assertThrows(RestoreException.class, () -> Restorer.locate(target, bad, tablespaces), bad);
        }
    }

    @Test
    void tablespaceMapFollowsRemappedLocations() {
        assertEquals("16385 /srv/ts-new\n16390 /srv/other\n",
                Restorer.remapTablespaces("16385 /srv/ts\n16390 /srv/other\n", tablespaces));
        assertEquals("", Restorer.remapTablespaces("", tablespaces));
    }
}
