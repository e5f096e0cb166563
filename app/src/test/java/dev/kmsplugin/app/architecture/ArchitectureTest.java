package dev.kmsplugin.app.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.junit.ArchTests;

/**
 * Checks the product against every rule of {@link ArchitectureRules}: the six modules and what each may see
 * (shared/ARCHITECTURE.md, "Modules and what each may see"), package structure, and each technology staying inside the
 * adapter that translates it (shared/STYLE.md, "translates at its edge").
 */
@AnalyzeClasses(packages = "dev.kmsplugin",
        importOptions = {ImportOption.DoNotIncludeTests.class, DoNotIncludeTestKit.class})
class ArchitectureTest {

    @ArchTest
    static final ArchTests the_architecture_rules = ArchTests.in(ArchitectureRules.class);
}
