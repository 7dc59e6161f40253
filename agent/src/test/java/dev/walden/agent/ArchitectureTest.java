package dev.walden.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.walden.agent.pipeline.BackupObjects;
import dev.walden.agent.storage.Storage;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The repository layout has one owner per part (STYLE.md): the backup catalog, the dump catalog, the WAL archive and
 * the record log build keys and list and delete under their own prefixes, and nothing else lists or deletes in the
 * repository on its own. A second repository is then a second instance of the same owners.
 */
class ArchitectureTest {
    private static final JavaClasses AGENT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.walden.agent");

    /** Calls that list or delete: only the owners of a part of the layout make them. */
    private static final Set<String> LISTING_AND_REMOVAL = Set.of("list", "listObjects", "forEachObject", "delete", "deleteAll");

    private static DescribedPredicate<JavaMethodCall> listingOrRemovalOn(Class<?> owner) {
        return DescribedPredicate.describe("a listing or removal on " + owner.getSimpleName(), call ->
                call.getTarget().getOwner().isAssignableTo(owner) && LISTING_AND_REMOVAL.contains(call.getTarget().getName()));
    }

    private static DescribedPredicate<JavaClass> in(String... names) {
        Set<String> allowed = Set.of(names);
        return DescribedPredicate.describe("one of " + allowed, c -> allowed.contains(c.getName())
                || c.getEnclosingClass().map(e -> allowed.contains(e.getName())).orElse(false));
    }

    @Test
    void onlyTheLayoutOwnersListOrDeleteThroughBackupObjects() {
        noClasses().that(DescribedPredicate.not(in(
                        "dev.walden.agent.pipeline.BackupObjects",
                        "dev.walden.agent.backup.BackupCatalog",
                        "dev.walden.agent.backup.BackupLock",
                        "dev.walden.agent.logical.DumpCatalog",
                        "dev.walden.agent.records.RecordLog",
                        "dev.walden.agent.pipeline.KeyringCheck")))
                .should().callMethodWhere(listingOrRemovalOn(BackupObjects.class))
                .because("the catalogs and the record log own the keys under their prefixes")
                .check(AGENT);
    }

    @Test
    void onlyStorageItselfAndTheLayoutOwnersListOrDeleteInAStore() {
        noClasses().that(DescribedPredicate.not(in(
                        "dev.walden.agent.pipeline.BackupObjects",
                        "dev.walden.agent.repository.WalArchive",
                        "dev.walden.agent.guard.DropJournal")))
                .and().resideOutsideOfPackages("dev.walden.agent.storage..")
                .should().callMethodWhere(listingOrRemovalOn(Storage.class))
                .because("WAL is listed through WalArchive, backups and dumps through their catalogs, records through RecordLog, the guard's drops through DropJournal")
                .check(AGENT);
    }

    /** One place builds a PostgreSQL command line and knows where a major's binaries are (STYLE.md, #22). */
    @Test
    void onlyThePostgresPackageBuildsProcessesBesidesTheNotifyCommand() {
        noClasses().that().resideOutsideOfPackages("dev.walden.agent.postgres..", "dev.walden.agent.notify..")
                .should().callConstructor(ProcessBuilder.class, String[].class)
                .orShould().callConstructor(ProcessBuilder.class, java.util.List.class)
                .because("pg_dump, pg_restore, psql, pg_ctl, pg_amcheck and postgres are started through postgres.ClientPrograms and"
                        + " postgres.ScratchCluster")
                .check(AGENT);
    }

    @Test
    void backupObjectsNoLongerHandsOutItsStore() {
        noClasses().should().callMethodWhere(DescribedPredicate.describe("BackupObjects.storage()", call ->
                        call.getTarget().getOwner().isEquivalentTo(BackupObjects.class) && call.getTarget().getName().equals("storage")))
                .check(AGENT);
    }
}
