package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Vault URLs, audiences and key_ids per cloud; the key_id vectors are the Go plugin's, written down. */
class VaultAddressTest {

    static final KeyRef KEY = new KeyRef("mykey", "0123456789abcdef0123456789abcdef");

    @Test
    void key_id_is_the_go_plugins_sha256_of_the_canonical_key_url() {
        // printf '%s' https://myvault.vault.azure.net/keys/mykey/0123456789abcdef0123456789abcdef | sha256sum
        VaultAddress address = VaultAddress.of("myvault", false, Cloud.PUBLIC, Optional.empty());
        assertEquals("77be9b1e493e89a7e8b2ff590c18b8ef579a5da4507041e372f151220506c468", address.keyId(KEY).value());
    }

    @Test
    void key_id_never_depends_on_the_endpoint_actually_used() {
        VaultAddress direct = VaultAddress.of("myvault", false, Cloud.PUBLIC, Optional.empty());
        VaultAddress viaEndpoint = VaultAddress.of("myvault", false, Cloud.PUBLIC,
                Optional.of("https://10.0.0.4:8443"));
        assertEquals(direct.keyId(KEY), viaEndpoint.keyId(KEY));
        assertEquals("https://10.0.0.4:8443/keys/mykey/0123456789abcdef0123456789abcdef", viaEndpoint.keyUrl(KEY));
    }

    @Test
    void managed_hsm_uses_its_own_domain_audience_and_key_id() {
        VaultAddress hsm = VaultAddress.of("myhsm", true, Cloud.PUBLIC, Optional.empty());
        assertEquals("https://myhsm.managedhsm.azure.net/", hsm.canonicalUrl());
        assertEquals("https://managedhsm.azure.net", hsm.audience());
        assertEquals("48dd746e59dd40b77b134657bf8f24ac9997f1a3637b10fb4874e6cf76daa2a5", hsm.keyId(KEY).value());
    }

    @Test
    void sovereign_clouds_have_their_vault_domain_audience_and_authority() {
        VaultAddress china = VaultAddress.of("myvault", false, Cloud.named("AzureChinaCloud", Map.of()),
                Optional.empty());
        assertEquals("https://myvault.vault.azure.cn/", china.canonicalUrl());
        assertEquals("https://vault.azure.cn", china.audience());
        assertEquals("db3103a807346e8a3b5b0b7231d499e445157e188f170643982fc4e63f232cb8", china.keyId(KEY).value());
        Cloud gov = Cloud.named("AzureUSGovernmentCloud", Map.of());
        assertEquals("https://myvault.vault.usgovcloudapi.net/",
                VaultAddress.of("myvault", false, gov, Optional.empty()).canonicalUrl());
        assertEquals("https://login.microsoftonline.us/", gov.authorityHost());
        assertEquals(Cloud.PUBLIC, Cloud.named("", Map.of()));
        assertEquals(Cloud.PUBLIC, Cloud.named("azurepubliccloud", Map.of()));
    }

    @Test
    void managed_hsm_outside_the_public_cloud_is_refused() {
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class, () ->
                VaultAddress.of("myhsm", true, Cloud.CHINA, Optional.empty()));
        assertTrue(e.getMessage().contains("AzurePublicCloud"), e.getMessage());
    }

    @Test
    void azure_stack_reads_its_environment_file(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("env.json");
        Files.writeString(file, "{\"name\":\"AzureStackCloud\",\"activeDirectoryEndpoint\":\"https://adfs.local."
                + "azurestack.external/adfs\",\"keyVaultDNSSuffix\":\"vault.local.azurestack.external\","
                + "\"resourceIdentifiers\":{\"keyVault\":\"https://vault.local.azurestack.external\"}}");
        Cloud stack = Cloud.named("AzureStackCloud", Map.of("AZURE_ENVIRONMENT_FILEPATH", file.toString()));
        VaultAddress address = VaultAddress.of("kv1", false, stack, Optional.empty());
        assertEquals("https://kv1.vault.local.azurestack.external/", address.canonicalUrl());
        assertEquals("https://vault.local.azurestack.external", address.audience());
        assertEquals("https://adfs.local.azurestack.external/adfs/", stack.authorityHost());
        KmsException.Misconfigured missing = assertThrows(KmsException.Misconfigured.class,
                () -> Cloud.named("AzureStackCloud", Map.of()));
        assertTrue(missing.getMessage().contains("AZURE_ENVIRONMENT_FILEPATH"));
    }

    @Test
    void an_unknown_cloud_lists_the_known_ones() {
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class,
                () -> Cloud.named("AzureGermanCloud", Map.of()));
        assertTrue(e.getMessage().contains("AzureUSGovernmentCloud"), e.getMessage());
    }
}
