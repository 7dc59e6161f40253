package dev.walden.agent.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.walden.agent.backup.Manifest;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which files a table restore leaves empty, and how kept configuration is placed in a restored data directory. */
class PartialRestoreTest {
    @Test
    void onlyOtherDatabasesFilesAreLeftEmpty() {
        Set<Long> keep = Set.of(1L, 4L, 5L, 16384L);
        assertTrue(Restorer.otherDatabase("base/16390/2619", keep));
        assertTrue(Restorer.otherDatabase("pg_tblspc/16400/PG_15_202209061/16390/16401", keep));
        assertFalse(Restorer.otherDatabase("base/16384/2619", keep));
        assertFalse(Restorer.otherDatabase("base/1/PG_VERSION", keep));
        assertFalse(Restorer.otherDatabase("global/pg_control", keep));
        assertFalse(Restorer.otherDatabase("pg_xact/0000", keep));
        assertFalse(Restorer.otherDatabase("pg_tblspc/16400/PG_15_202209061/16384/16401", keep));
    }

    @Test
    void configurationInTheDataDirectoryNamesNoneOfTheLiveClustersFiles() {
        List<Manifest.ConfigFile> files = List.of(
                new Manifest.ConfigFile("config_file", "/etc/postgresql/15/main/postgresql.conf",
                        "data_directory = '/var/lib/postgresql/15/main'\nhba_file = '/etc/postgresql/15/main/pg_hba.conf'\n"
                                + "external_pid_file = '/var/run/postgresql/15-main.pid'\ninclude_dir = 'conf.d'\n"
                                + "include '/etc/postgresql/15/main/extra.conf'\nport = 5432"),
                new Manifest.ConfigFile("hba_file", "/etc/postgresql/15/main/pg_hba.conf", "local all all peer"),
                new Manifest.ConfigFile("include", "/etc/postgresql/15/main/extra.conf", "work_mem = '8MB'"),
                new Manifest.ConfigFile("include", "/etc/postgresql/15/main/conf.d/a.conf", "shared_buffers = '1GB'"));
        List<ConfigPlacement.Placed> placed = ConfigPlacement.place(files, true, "B1");
        assertEquals(List.of("postgresql.conf", "pg_hba.conf", "extra.conf", "conf.d/a.conf"),
                placed.stream().map(ConfigPlacement.Placed::name).toList());
        String conf = placed.get(0).text();
        assertTrue(conf.contains("# data_directory = '/var/lib/postgresql/15/main'"), conf);
        assertTrue(conf.contains("# hba_file") && conf.contains("# external_pid_file"), conf);
        assertTrue(conf.contains("\ninclude 'extra.conf'\n") && conf.contains("\ninclude_dir = 'conf.d'\n") && conf.endsWith("port = 5432"), conf);

        List<ConfigPlacement.Placed> asTheyWere = ConfigPlacement.place(files, false, "B1");
        assertEquals(List.of("postgresql.conf", "pg_hba.conf", "extra.conf", "conf.d/a.conf"),
                asTheyWere.stream().map(ConfigPlacement.Placed::name).toList());
        assertEquals(files.get(0).text(), asTheyWere.get(0).text(), "--config-to writes them as they were");
    }
}
