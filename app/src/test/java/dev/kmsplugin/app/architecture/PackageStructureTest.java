package dev.kmsplugin.app.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** Package structure inside and across modules. */
@AnalyzeClasses(packages = "dev.kmsplugin",
        importOptions = {ImportOption.DoNotIncludeTests.class, DoNotIncludeTestKit.class})
class PackageStructureTest {

    @ArchTest
    static final ArchRule no_package_cycles = ArchitectureRules.NO_PACKAGE_CYCLES;
}
