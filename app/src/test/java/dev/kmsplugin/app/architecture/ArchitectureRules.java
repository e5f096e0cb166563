package dev.kmsplugin.app.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.methods;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.onionArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.security.Provider;
import java.security.Security;
import java.util.List;
import java.util.stream.Stream;

/**
 * The design's boundaries as ArchUnit rules: each {@link ArchTest} field is checked against the product by
 * {@link ArchitectureTest} and fed deliberate violations by {@link RulesCanFailTest}, which proves it can fail.
 */
final class ArchitectureRules {

    static final String DOMAIN = "dev.kmsplugin.domain..";
    static final String PORTS = "dev.kmsplugin.ports..";
    static final String APP = "dev.kmsplugin.app..";
    static final String ADAPTERS = "dev.kmsplugin.adapter..";
    static final String GRPC_ADAPTER = "dev.kmsplugin.adapter.grpc..";
    static final String KEYVAULT_ADAPTER = "dev.kmsplugin.adapter.keyvault..";
    static final String SOFTHSM_ADAPTER = "dev.kmsplugin.adapter.softhsm..";
    static final String ETCD_ADAPTER = "dev.kmsplugin.adapter.etcd..";
    static final String KMS_WIRE = "dev.kmsplugin.adapter.grpc.wire..";
    static final String ETCD_WIRE = "dev.kmsplugin.adapter.etcd.client.proto..";

    static final String[] GRPC_TYPES = {"io.grpc..", "com.google.protobuf..", "io.netty..", "io.grpc.netty.shaded.."};
    static final String[] AZURE_TYPES = {"com.azure..", "com.microsoft.aad..", "reactor.."};
    static final String[] PKCS11_TYPES = {"sun.security.pkcs11.."};
    static final List<String> TECHNOLOGY_TYPES = Stream.of(GRPC_TYPES, AZURE_TYPES, PKCS11_TYPES)
            .flatMap(Stream::of).toList();

    private ArchitectureRules() {
    }

    // --- module boundaries ---------------------------------------------------------------------------------------

    @ArchTest
    static final ArchRule DOMAIN_DEPENDS_ON_NOTHING_BUT_THE_JDK = classes()
            .that().resideInAPackage(DOMAIN)
            .should().onlyDependOnClassesThat().resideInAnyPackage(DOMAIN, "java..")
            .because("the core of the plugin must stay free of every technology (kms-domain requires java.base only)");

    @ArchTest
    static final ArchRule PORTS_DEPEND_ONLY_ON_THE_DOMAIN_AND_THE_JDK = classes()
            .that().resideInAPackage(PORTS)
            .should().onlyDependOnClassesThat().resideInAnyPackage(PORTS, DOMAIN, "java..")
            .because("ports speak the domain's language, never a wire format, an SDK or the composition root");

    @ArchTest
    static final ArchRule ADAPTERS_DO_NOT_KNOW_EACH_OTHER = slices()
            .matching("dev.kmsplugin.adapter.(*)..")
            .should().notDependOnEachOther()
            .because("each adapter plugs into the ports alone, so any one can be removed or replaced");

    @ArchTest
    static final ArchRule NOTHING_DEPENDS_ON_THE_COMPOSITION_ROOT = noClasses()
            .that().resideOutsideOfPackage(APP)
            .should().dependOnClassesThat().resideInAPackage(APP)
            .because("the composition root wires everything and nothing may wire itself to it");

    @ArchTest
    static final ArchRule THE_COMPOSITION_ROOT_NAMES_NO_ADAPTER = noClasses()
            .that().resideInAPackage(APP)
            .should().dependOnClassesThat().resideInAPackage(ADAPTERS)
            .because("adapters are found by ServiceLoader at run time, never named in code");

    @ArchTest
    static final ArchRule THE_DESIGN_IS_AN_ONION = onionArchitecture()
            .domainModels(DOMAIN)
            .domainServices(PORTS)
            .applicationServices(APP)
            .adapter("grpc", GRPC_ADAPTER)
            .adapter("keyvault", KEYVAULT_ADAPTER)
            .adapter("softhsm", SOFTHSM_ADAPTER)
            .adapter("etcd", ETCD_ADAPTER)
            .ensureAllClassesAreContainedInArchitecture()
            .because("every class belongs to one ring of the hexagonal design (see shared/ARCHITECTURE.md)");

    // --- package structure ---------------------------------------------------------------------------------------

    @ArchTest
    static final ArchRule NO_PACKAGE_CYCLES = slices()
            .matching("dev.kmsplugin.(**)")
            .should().beFreeOfCycles()
            .because("packages that need each other are one package in disguise and cannot be understood alone");

    // --- technology stays in its adapter -------------------------------------------------------------------------

    @ArchTest
    static final ArchRule GRPC_AND_PROTOBUF_STAY_IN_THE_GRPC_AND_ETCD_ADAPTERS = noClasses()
            .that().resideOutsideOfPackages(GRPC_ADAPTER, ETCD_ADAPTER)
            .should().dependOnClassesThat().resideInAnyPackage(GRPC_TYPES)
            .because("gRPC is the business of the two adapters that speak it: the KMS services kube-apiserver calls,"
                    + " and the etcd API the storage audit reads");

    @ArchTest
    static final ArchRule THE_AZURE_SDK_STAYS_IN_THE_KEYVAULT_ADAPTER = noClasses()
            .that().resideOutsideOfPackage(KEYVAULT_ADAPTER)
            .should().dependOnClassesThat().resideInAnyPackage(AZURE_TYPES)
            .because("Azure SDK types never leave the Key Vault adapter");

    // The JDK reaches PKCS#11 by name: Security.getProvider("SunPKCS11").configure(file). No PKCS#11 type appears in
    // the bytecode, so the rule looks for the calls that open a provider as well as for the types.
    @ArchTest
    static final ArchRule PKCS11_STAYS_IN_THE_SIMULATOR_ADAPTER = noClasses()
            .that().resideOutsideOfPackage(SOFTHSM_ADAPTER)
            .should().dependOnClassesThat().resideInAnyPackage(PKCS11_TYPES)
            .orShould().callMethod(Provider.class, "configure", String.class)
            .orShould().callMethod(Security.class, "getProvider", String.class)
            .because("PKCS#11 (a provider configured at run time, and its types) never leaves the simulator adapter");

    @ArchTest
    static final ArchRule GENERATED_MESSAGES_LIVE_IN_THE_WIRE_PACKAGE_OF_THEIR_API = classes()
            .that().areAssignableTo("com.google.protobuf.MessageLite")
            .should().resideInAnyPackage(KMS_WIRE, ETCD_WIRE)
            .allowEmptyShould(true)
            .because("generated wire classes belong to the adapter that speaks their API: the KMS API in the gRPC"
                    + " adapter, etcd's KV API in the etcd adapter, nowhere else");

    @ArchTest
    static final ArchRule ONLY_THE_GRPC_ADAPTER_SERVES = classes()
            .that().areAssignableTo("io.grpc.BindableService")
            .and().doNotHaveModifier(JavaModifier.ABSTRACT)
            .should().resideInAPackage(GRPC_ADAPTER)
            .allowEmptyShould(true)
            .because("the plugin serves only kube-apiserver's KMS API; the etcd adapter is a read-only client");

    @ArchTest
    static final ArchRule PORT_IMPLEMENTATIONS_EXPOSE_NO_WIRE_OR_SDK_TYPES = methods()
            .that().arePublic()
            .and().areDeclaredInClassesThat(implementPortsOrSpis())
            .should(haveNoSignatureTypesFrom(TECHNOLOGY_TYPES))
            .allowEmptyShould(true)
            .because("what an adapter offers through a port is described in the domain's terms only");

    private static DescribedPredicate<JavaClass> implementPortsOrSpis() {
        return new DescribedPredicate<>("implement a port or provider SPI") {
            @Override
            public boolean test(JavaClass javaClass) {
                return javaClass.getPackageName().startsWith("dev.kmsplugin.adapter.")
                        && javaClass.getAllRawInterfaces().stream()
                        .anyMatch(type -> type.getPackageName().startsWith("dev.kmsplugin.ports"));
            }
        };
    }

    private static ArchCondition<JavaMethod> haveNoSignatureTypesFrom(List<String> packages) {
        return new ArchCondition<>("have no parameter or return type from " + packages) {
            @Override
            public void check(JavaMethod method, ConditionEvents events) {
                Stream.concat(Stream.of(method.getRawReturnType()), method.getRawParameterTypes().stream())
                        .map(type -> type.getBaseComponentType())
                        .filter(type -> packages.stream().anyMatch(p -> matches(type.getPackageName(), p)))
                        .forEach(type -> events.add(SimpleConditionEvent.violated(method,
                                method.getFullName() + " exposes " + type.getName())));
            }
        };
    }

    private static boolean matches(String packageName, String pattern) {
        String prefix = pattern.substring(0, pattern.length() - 2);
        return packageName.equals(prefix) || packageName.startsWith(prefix + ".");
    }
}
