package dev.kmsplugin.app.architecture;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.kmsplugin.adapter.etcd.client.EtcdClient;
import dev.kmsplugin.adapter.etcd.fixture.EtcdAdapterReachingIntoTheSimulator;
import dev.kmsplugin.adapter.etcd.fixture.EtcdAdapterServing;
import dev.kmsplugin.adapter.etcd.fixture.EtcdAdapterUsingTheAzureSdk;
import dev.kmsplugin.adapter.etcd.fixture.MessageInTheEtcdAdapterOutsideItsWirePackage;
import dev.kmsplugin.adapter.grpc.GrpcTransportProvider;
import dev.kmsplugin.adapter.keyvault.fixture.KeyVaultSpeakingGrpc;
import dev.kmsplugin.adapter.keyvault.fixture.KeyVaultOpeningPkcs11;
import dev.kmsplugin.adapter.keyvault.fixture.LeakyBackendProvider;
import dev.kmsplugin.adapter.keyvault.fixture.ReachingIntoTheGrpcAdapter;
import dev.kmsplugin.adapter.softhsm.SoftHsmBackendProvider;
import dev.kmsplugin.app.Launcher;
import dev.kmsplugin.app.fixture.AppNamingAnAdapter;
import dev.kmsplugin.app.fixture.MessageOutsideTheWireAdapter;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.fixture.DomainReadingConfiguration;
import dev.kmsplugin.domain.fixture.DomainSpeakingGrpc;
import dev.kmsplugin.domain.fixture.cycle.a.CycleA;
import dev.kmsplugin.domain.fixture.cycle.b.CycleB;
import dev.kmsplugin.ports.fixture.PortNamingTheApp;
import dev.kmsplugin.stray.OutsideEveryRing;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every architecture rule is fed classes that break it on purpose (test-only fixtures) and must report them: a rule
 * that cannot fail protects nothing.
 */
class RulesCanFailTest {

    private static void assertReports(ArchRule rule, String offender, Class<?>... classes) {
        JavaClasses imported = new ClassFileImporter().importClasses(classes);
        EvaluationResult result = rule.evaluate(imported);
        assertTrue(result.hasViolation(), "rule did not fire: " + rule.getDescription());
        String report = String.join("\n", result.getFailureReport().getDetails());
        assertTrue(report.contains(offender), "violation report does not name " + offender + ":\n" + report);
    }

    @Test
    void domain_rule_reports_a_domain_class_using_a_library() {
        assertReports(ArchitectureRules.DOMAIN_DEPENDS_ON_NOTHING_BUT_THE_JDK,
                DomainReadingConfiguration.class.getName(), DomainReadingConfiguration.class, Plaintext.class);
    }

    @Test
    void ports_rule_reports_a_port_naming_the_composition_root() {
        assertReports(ArchitectureRules.PORTS_DEPEND_ONLY_ON_THE_DOMAIN_AND_THE_JDK,
                PortNamingTheApp.class.getName(), PortNamingTheApp.class, Launcher.class);
    }

    @Test
    void adapter_rule_reports_an_adapter_using_another_adapter() {
        assertReports(ArchitectureRules.ADAPTERS_DO_NOT_KNOW_EACH_OTHER,
                ReachingIntoTheGrpcAdapter.class.getName(), ReachingIntoTheGrpcAdapter.class,
                GrpcTransportProvider.class);
    }

    @Test
    void composition_root_rule_reports_anything_that_depends_on_it() {
        assertReports(ArchitectureRules.NOTHING_DEPENDS_ON_THE_COMPOSITION_ROOT,
                PortNamingTheApp.class.getName(), PortNamingTheApp.class, Launcher.class);
    }

    @Test
    void composition_root_rule_reports_app_code_naming_an_adapter() {
        assertReports(ArchitectureRules.THE_COMPOSITION_ROOT_NAMES_NO_ADAPTER,
                AppNamingAnAdapter.class.getName(), AppNamingAnAdapter.class, SoftHsmBackendProvider.class);
    }

    @Test
    void onion_rule_reports_a_class_outside_every_ring_and_an_inward_dependency() {
        assertReports(ArchitectureRules.THE_DESIGN_IS_AN_ONION,
                OutsideEveryRing.class.getName(), OutsideEveryRing.class, Plaintext.class);
        assertReports(ArchitectureRules.THE_DESIGN_IS_AN_ONION,
                PortNamingTheApp.class.getName(), PortNamingTheApp.class, Launcher.class);
    }

    @Test
    void cycle_rule_reports_a_package_cycle_inside_the_domain() {
        assertReports(ArchitectureRules.NO_PACKAGE_CYCLES, CycleA.class.getName(), CycleA.class, CycleB.class);
    }

    @Test
    void technology_rule_reports_a_wire_type_in_the_domain() {
        assertReports(ArchitectureRules.GRPC_AND_PROTOBUF_STAY_IN_THE_GRPC_AND_ETCD_ADAPTERS,
                DomainSpeakingGrpc.class.getName(), DomainSpeakingGrpc.class);
        assertReports(ArchitectureRules.DOMAIN_DEPENDS_ON_NOTHING_BUT_THE_JDK,
                DomainSpeakingGrpc.class.getName(), DomainSpeakingGrpc.class);
    }

    @Test
    void technology_rule_lets_the_etcd_adapter_speak_grpc_but_not_the_keyvault_adapter() {
        assertReports(ArchitectureRules.GRPC_AND_PROTOBUF_STAY_IN_THE_GRPC_AND_ETCD_ADAPTERS,
                KeyVaultSpeakingGrpc.class.getName(), KeyVaultSpeakingGrpc.class, EtcdClient.class);
        EvaluationResult both = ArchitectureRules.GRPC_AND_PROTOBUF_STAY_IN_THE_GRPC_AND_ETCD_ADAPTERS.evaluate(
                new ClassFileImporter().importClasses(KeyVaultSpeakingGrpc.class, EtcdClient.class));
        String report = String.join("\n", both.getFailureReport().getDetails());
        assertFalse(report.contains(EtcdClient.class.getName()), "the etcd client may use grpc-java:\n" + report);
    }

    @Test
    void generated_message_rule_reports_a_protobuf_message_outside_the_wire_packages() {
        assertReports(ArchitectureRules.GENERATED_MESSAGES_LIVE_IN_THE_WIRE_PACKAGE_OF_THEIR_API,
                MessageOutsideTheWireAdapter.class.getName(), MessageOutsideTheWireAdapter.class);
        assertReports(ArchitectureRules.GENERATED_MESSAGES_LIVE_IN_THE_WIRE_PACKAGE_OF_THEIR_API,
                MessageInTheEtcdAdapterOutsideItsWirePackage.class.getName(),
                MessageInTheEtcdAdapterOutsideItsWirePackage.class);
    }

    @Test
    void serving_rule_reports_a_grpc_service_outside_the_grpc_adapter() {
        assertReports(ArchitectureRules.ONLY_THE_GRPC_ADAPTER_SERVES, EtcdAdapterServing.class.getName(),
                EtcdAdapterServing.class);
    }

    @Test
    void adapter_and_onion_rules_report_the_etcd_adapter_naming_a_backend_or_the_app() {
        assertReports(ArchitectureRules.ADAPTERS_DO_NOT_KNOW_EACH_OTHER,
                EtcdAdapterReachingIntoTheSimulator.class.getName(), EtcdAdapterReachingIntoTheSimulator.class,
                SoftHsmBackendProvider.class);
        assertReports(ArchitectureRules.THE_DESIGN_IS_AN_ONION,
                EtcdAdapterReachingIntoTheSimulator.class.getName(), EtcdAdapterReachingIntoTheSimulator.class,
                Launcher.class, SoftHsmBackendProvider.class);
    }

    @Test
    void azure_rule_reports_another_adapter_using_the_azure_sdk() {
        assertReports(ArchitectureRules.THE_AZURE_SDK_STAYS_IN_THE_KEYVAULT_ADAPTER,
                EtcdAdapterUsingTheAzureSdk.class.getName(), EtcdAdapterUsingTheAzureSdk.class);
    }

    @Test
    void pkcs11_rule_reports_another_adapter_opening_a_pkcs11_provider_by_name() {
        assertReports(ArchitectureRules.PKCS11_STAYS_IN_THE_SIMULATOR_ADAPTER,
                KeyVaultOpeningPkcs11.class.getName(), KeyVaultOpeningPkcs11.class);
        // the simulator itself may (it opens its token this way), beside app code that does not
        EvaluationResult simulator = ArchitectureRules.PKCS11_STAYS_IN_THE_SIMULATOR_ADAPTER.evaluate(
                new ClassFileImporter().importPackages("dev.kmsplugin.adapter.softhsm", "dev.kmsplugin.app"));
        assertFalse(simulator.hasViolation(), String.join("\n", simulator.getFailureReport().getDetails()));
    }

    /**
     * Every rule in {@link ArchitectureRules} is fed a violation by a test here, and every suite's {@code @ArchTest}
     * field is one of those rules: a rule added without a failing case, or checked without being shared, fails this.
     */
    @Test
    void every_rule_has_a_failing_case_here_and_every_archtest_field_is_a_shared_rule() throws Exception {
        JavaClasses tests = new ClassFileImporter().importClasses(RulesCanFailTest.class, ArchitectureRules.class);
        JavaClass rules = tests.get(ArchitectureRules.class);
        Map<Object, String> shared = new IdentityHashMap<>();
        for (JavaField field : rules.getFields()) {
            if (!field.getRawType().isAssignableTo(ArchRule.class)) {
                continue;
            }
            boolean exercised = field.getAccessesToSelf().stream()
                    .anyMatch(access -> access.getOriginOwner().isEquivalentTo(RulesCanFailTest.class));
            assertTrue(exercised, "ArchitectureRules." + field.getName() + " has no case in RulesCanFailTest");
            java.lang.reflect.Field reflected = ArchitectureRules.class.getDeclaredField(field.getName());
            reflected.setAccessible(true);
            shared.put(reflected.get(null), field.getName());
        }
        assertTrue(shared.size() >= 13, "suspiciously few rules found: " + shared.values());
        Set<String> checked = new HashSet<>();
        for (Class<?> suite : List.of(ModuleBoundariesTest.class, PackageStructureTest.class,
                TechnologyContainmentTest.class)) {
            assertTrue(suite.isAnnotationPresent(AnalyzeClasses.class), suite.getName());
            for (java.lang.reflect.Field field : suite.getDeclaredFields()) {
                if (field.isAnnotationPresent(ArchTest.class)) {
                    field.setAccessible(true);
                    String name = shared.get(field.get(null));
                    assertTrue(name != null, suite.getSimpleName() + "." + field.getName()
                            + " is not a rule of ArchitectureRules, so RulesCanFailTest cannot prove it can fail");
                    checked.add(name);
                }
            }
        }
        Set<String> unchecked = new HashSet<>(shared.values());
        unchecked.removeAll(checked);
        assertTrue(unchecked.isEmpty(), "rules no suite checks against the product: " + unchecked);
        // every class in this package that analyses classes is one of the suites above
        new ClassFileImporter().importPackages(getClass().getPackageName()).stream()
                .filter(c -> c.isAnnotatedWith(AnalyzeClasses.class))
                .forEach(c -> assertTrue(List.of("ModuleBoundariesTest", "PackageStructureTest",
                        "TechnologyContainmentTest").contains(c.getSimpleName()), c.getName()
                        + " analyses classes but is not checked here"));
    }

    @Test
    void leak_rule_reports_a_port_implementation_exposing_a_wire_type() {
        assertReports(ArchitectureRules.PORT_IMPLEMENTATIONS_EXPOSE_NO_WIRE_OR_SDK_TYPES,
                "lastStatus", LeakyBackendProvider.class);
    }
}
