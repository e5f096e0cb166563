package dev.kmsplugin.app.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** Each technology stays inside the adapter that translates it (shared/STYLE.md, "translates at its edge"). */
@AnalyzeClasses(packages = "dev.kmsplugin",
        importOptions = {ImportOption.DoNotIncludeTests.class, DoNotIncludeTestKit.class})
class TechnologyContainmentTest {

    @ArchTest
    static final ArchRule grpc_and_protobuf_stay_in_the_grpc_and_etcd_adapters =
            ArchitectureRules.GRPC_AND_PROTOBUF_STAY_IN_THE_GRPC_AND_ETCD_ADAPTERS;

    @ArchTest
    static final ArchRule the_azure_sdk_stays_in_the_keyvault_adapter =
            ArchitectureRules.THE_AZURE_SDK_STAYS_IN_THE_KEYVAULT_ADAPTER;

    @ArchTest
    static final ArchRule pkcs11_stays_in_the_simulator_adapter = ArchitectureRules.PKCS11_STAYS_IN_THE_SIMULATOR_ADAPTER;

    @ArchTest
    static final ArchRule generated_messages_live_in_the_wire_package_of_their_api =
            ArchitectureRules.GENERATED_MESSAGES_LIVE_IN_THE_WIRE_PACKAGE_OF_THEIR_API;

    @ArchTest
    static final ArchRule only_the_grpc_adapter_serves = ArchitectureRules.ONLY_THE_GRPC_ADAPTER_SERVES;

    @ArchTest
    static final ArchRule port_implementations_expose_no_wire_or_sdk_types =
            ArchitectureRules.PORT_IMPLEMENTATIONS_EXPOSE_NO_WIRE_OR_SDK_TYPES;
}
