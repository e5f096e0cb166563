package dev.kmsplugin.app.architecture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules above only mean something if the import sees every module: under {@code mvn verify} sibling modules
 * arrive as jars, and an import option that drops jars would leave the rules checking nothing.
 */
class ImportCoverageTest {

    @Test
    void the_architecture_suites_see_classes_of_all_seven_modules() {
        JavaClasses classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(new DoNotIncludeTestKit())
                .importPackages("dev.kmsplugin");
        Map<String, String> moduleByPackage = Map.of(
                "dev.kmsplugin.domain.", "kms-domain",
                "dev.kmsplugin.ports.", "kms-ports",
                "dev.kmsplugin.adapter.grpc.", "adapter-grpc",
                "dev.kmsplugin.adapter.keyvault.", "adapter-keyvault",
                "dev.kmsplugin.adapter.softhsm.", "adapter-local-hsm-sim",
                "dev.kmsplugin.adapter.etcd.", "adapter-etcd",
                "dev.kmsplugin.app.", "app");
        moduleByPackage.forEach((prefix, module) -> assertTrue(
                classes.stream().anyMatch(c -> c.getName().startsWith(prefix)),
                "the import holds no class of " + module + " (" + prefix + "*)"));
        assertTrue(classes.size() >= 40, "suspiciously few classes imported: " + classes.size());
    }
}
