package dev.kmsplugin.app.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The six modules and what each may see (shared/ARCHITECTURE.md, "Modules and what each may see"). */
@AnalyzeClasses(packages = "dev.kmsplugin",
        importOptions = {ImportOption.DoNotIncludeTests.class, DoNotIncludeTestKit.class})
class ModuleBoundariesTest {

    @ArchTest
    static final ArchRule domain_depends_on_nothing_but_the_jdk = ArchitectureRules.DOMAIN_DEPENDS_ON_NOTHING_BUT_THE_JDK;

    @ArchTest
    static final ArchRule ports_depend_only_on_the_domain_and_the_jdk =
            ArchitectureRules.PORTS_DEPEND_ONLY_ON_THE_DOMAIN_AND_THE_JDK;

    @ArchTest
    static final ArchRule adapters_do_not_know_each_other = ArchitectureRules.ADAPTERS_DO_NOT_KNOW_EACH_OTHER;

    @ArchTest
    static final ArchRule nothing_depends_on_the_composition_root =
            ArchitectureRules.NOTHING_DEPENDS_ON_THE_COMPOSITION_ROOT;

    @ArchTest
    static final ArchRule the_composition_root_names_no_adapter =
            ArchitectureRules.THE_COMPOSITION_ROOT_NAMES_NO_ADAPTER;

    @ArchTest
    static final ArchRule the_design_is_an_onion_with_one_ring_per_module = ArchitectureRules.THE_DESIGN_IS_AN_ONION;
}
