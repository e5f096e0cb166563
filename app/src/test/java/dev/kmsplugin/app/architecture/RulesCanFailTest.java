package dev.kmsplugin.app.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.junit.ArchTests;
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
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

    /** A rule, and classes that break it (the first is the offender the rule must name) with what they use. */
    static Stream<Arguments> simpleViolations() {
        return Stream.of(
                Arguments.of("domain rule reports a domain class using a library",
                        ArchitectureRules.DOMAIN_DEPENDS_ON_NOTHING_BUT_THE_JDK,
                        List.of(DomainReadingConfiguration.class, Plaintext.class)),
                Arguments.of("ports rule reports a port naming the composition root",
                        ArchitectureRules.PORTS_DEPEND_ONLY_ON_THE_DOMAIN_AND_THE_JDK,
                        List.of(PortNamingTheApp.class, Launcher.class)),
                Arguments.of("adapter rule reports an adapter using another adapter",
                        ArchitectureRules.ADAPTERS_DO_NOT_KNOW_EACH_OTHER,
                        List.of(ReachingIntoTheGrpcAdapter.class, GrpcTransportProvider.class)),
                Arguments.of("composition root rule reports anything that depends on it",
                        ArchitectureRules.NOTHING_DEPENDS_ON_THE_COMPOSITION_ROOT,
                        List.of(PortNamingTheApp.class, Launcher.class)),
                Arguments.of("composition root rule reports app code naming an adapter",
                        ArchitectureRules.THE_COMPOSITION_ROOT_NAMES_NO_ADAPTER,
                        List.of(AppNamingAnAdapter.class, SoftHsmBackendProvider.class)),
                Arguments.of("cycle rule reports a package cycle inside the domain",
                        ArchitectureRules.NO_PACKAGE_CYCLES,
                        List.of(CycleA.class, CycleB.class)),
                Arguments.of("serving rule reports a grpc service outside the grpc adapter",
                        ArchitectureRules.ONLY_THE_GRPC_ADAPTER_SERVES,
                        List.of(EtcdAdapterServing.class)),
                Arguments.of("azure rule reports another adapter using the azure sdk",
                        ArchitectureRules.THE_AZURE_SDK_STAYS_IN_THE_KEYVAULT_ADAPTER,
                        List.of(EtcdAdapterUsingTheAzureSdk.class)),
                Arguments.of("onion rule reports a class outside every ring",
                        ArchitectureRules.THE_DESIGN_IS_AN_ONION,
                        List.of(OutsideEveryRing.class, Plaintext.class)),
                Arguments.of("onion rule reports an inward dependency",
                        ArchitectureRules.THE_DESIGN_IS_AN_ONION,
                        List.of(PortNamingTheApp.class, Launcher.class)),
                Arguments.of("technology rule reports a wire type in the domain",
                        ArchitectureRules.GRPC_AND_PROTOBUF_STAY_IN_THE_GRPC_AND_ETCD_ADAPTERS,
                        List.of(DomainSpeakingGrpc.class)),
                Arguments.of("domain rule reports a wire type in the domain",
                        ArchitectureRules.DOMAIN_DEPENDS_ON_NOTHING_BUT_THE_JDK,
                        List.of(DomainSpeakingGrpc.class)),
                Arguments.of("generated message rule reports a protobuf message outside the wire packages",
                        ArchitectureRules.GENERATED_MESSAGES_LIVE_IN_THE_WIRE_PACKAGE_OF_THEIR_API,
                        List.of(MessageOutsideTheWireAdapter.class)),
                Arguments.of("generated message rule reports a message in the etcd adapter outside its wire package",
                        ArchitectureRules.GENERATED_MESSAGES_LIVE_IN_THE_WIRE_PACKAGE_OF_THEIR_API,
                        List.of(MessageInTheEtcdAdapterOutsideItsWirePackage.class)),
                Arguments.of("adapter rule reports the etcd adapter naming a backend",
                        ArchitectureRules.ADAPTERS_DO_NOT_KNOW_EACH_OTHER,
                        List.of(EtcdAdapterReachingIntoTheSimulator.class, SoftHsmBackendProvider.class)),
                Arguments.of("onion rule reports the etcd adapter naming a backend or the app",
                        ArchitectureRules.THE_DESIGN_IS_AN_ONION,
                        List.of(EtcdAdapterReachingIntoTheSimulator.class, Launcher.class,
                                SoftHsmBackendProvider.class)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("simpleViolations")
    void the_rule_reports_the_offending_class(String what, ArchRule rule, List<Class<?>> classes) {
        assertReports(rule, classes.get(0).getName(), classes.toArray(Class<?>[]::new));
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
    void pkcs11_rule_reports_another_adapter_opening_a_pkcs11_provider_by_name() {
        assertReports(ArchitectureRules.PKCS11_STAYS_IN_THE_SIMULATOR_ADAPTER,
                KeyVaultOpeningPkcs11.class.getName(), KeyVaultOpeningPkcs11.class);
        // the simulator itself may (it opens its token this way), beside app code that does not
        EvaluationResult simulator = ArchitectureRules.PKCS11_STAYS_IN_THE_SIMULATOR_ADAPTER.evaluate(
                new ClassFileImporter().importPackages("dev.kmsplugin.adapter.softhsm", "dev.kmsplugin.app"));
        assertFalse(simulator.hasViolation(), String.join("\n", simulator.getFailureReport().getDetails()));
    }

    /**
     * Every rule in {@link ArchitectureRules} is fed a violation by a test here and is an {@code @ArchTest} field there,
     * and every suite's {@code @ArchTest} field is one of those rules or all of them: a rule added without a failing
     * case, left out of the suites, or checked without being shared, fails this.
     */
    @Test
    void every_rule_has_a_failing_case_here_and_every_archtest_field_is_a_shared_rule() throws Exception {
        JavaClasses tests = new ClassFileImporter().importClasses(RulesCanFailTest.class, ArchitectureRules.class);
        JavaClass rules = tests.get(ArchitectureRules.class);
        Map<Object, String> shared = new IdentityHashMap<>();
        for (JavaField field : rules.getFields()) {
            if (!field.getRawType().isAssignableTo(ArchRule.class)) {
                assertFalse(field.isAnnotatedWith(ArchTest.class), "ArchitectureRules." + field.getName()
                        + " is an @ArchTest but not a rule");
                continue;
            }
            boolean exercised = field.getAccessesToSelf().stream()
                    .anyMatch(access -> access.getOriginOwner().isEquivalentTo(RulesCanFailTest.class));
            assertTrue(exercised, "ArchitectureRules." + field.getName() + " has no case in RulesCanFailTest");
            assertTrue(field.isAnnotatedWith(ArchTest.class), "ArchitectureRules." + field.getName()
                    + " is not an @ArchTest, so no suite checks it against the product");
            java.lang.reflect.Field reflected = ArchitectureRules.class.getDeclaredField(field.getName());
            reflected.setAccessible(true);
            shared.put(reflected.get(null), field.getName());
        }
        assertTrue(shared.size() >= 13, "suspiciously few rules found: " + shared.values());
        // every class in this package that analyses classes checks shared rules only, and one checks them all
        List<Class<?>> suites = new ArrayList<>();
        for (JavaClass suite : new ClassFileImporter().importPackages(getClass().getPackageName())) {
            if (suite.isAnnotatedWith(AnalyzeClasses.class)) {
                suites.add(suite.reflect());
            }
        }
        boolean allChecked = false;
        for (Class<?> suite : suites) {
            for (java.lang.reflect.Field field : suite.getDeclaredFields()) {
                if (field.isAnnotationPresent(ArchTest.class)) {
                    field.setAccessible(true);
                    Object checked = field.get(null);
                    String where = suite.getSimpleName() + "." + field.getName();
                    if (checked instanceof ArchTests all) {
                        assertEquals(ArchitectureRules.class, all.getDefinitionLocation(), where
                                + " takes its rules from elsewhere than ArchitectureRules");
                        allChecked = true;
                    } else {
                        assertTrue(shared.containsKey(checked), where + " is not a rule of ArchitectureRules,"
                                + " so RulesCanFailTest cannot prove it can fail");
                    }
                }
            }
        }
        assertTrue(allChecked, "no suite among " + suites + " checks ArchitectureRules against the product");
    }

    @Test
    void leak_rule_reports_a_port_implementation_exposing_a_wire_type() {
        assertReports(ArchitectureRules.PORT_IMPLEMENTATIONS_EXPOSE_NO_WIRE_OR_SDK_TYPES,
                "lastStatus", LeakyBackendProvider.class);
    }
}
