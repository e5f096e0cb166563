package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.keyvault.KeyVaultSettings.AuthKind;
import dev.kmsplugin.domain.failure.KmsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Credential selection from the Go plugin's config file and the AZURE_* environment, and real token flows. */
class KeyVaultAuthTest extends VaultTest {

    static final String AUTHORITY = "https://login.microsoftonline.com/";

    @BeforeEach
    void start() {
        vault.createVersion("kek", 2048);
    }

    private Credentials.Choice choose(String configJson, Map<String, String> env) throws Exception {
        Path file = dir.resolve("choice.json");
        Files.writeString(file, configJson);
        return Credentials.choose(AuthKind.AUTO, AzureConfig.read(file), env, AUTHORITY, true);
    }

    @Test
    void managed_identity_wins_over_every_other_setting_and_is_user_assigned_when_an_id_is_given() throws Exception {
        Credentials.Choice system = choose("{\"useManagedIdentityExtension\":true,\"aadClientId\":\"a\","
                + "\"aadClientSecret\":\"s\",\"tenantId\":\"t\"}", Map.of());
        assertEquals(AuthKind.MANAGED_IDENTITY, system.kind());
        assertEquals("system-assigned managed identity", system.description());
        Credentials.Choice user = choose("{\"useManagedIdentityExtension\":true,"
                + "\"userAssignedIdentityID\":\"11111111-2222\"}", Map.of());
        assertTrue(user.description().startsWith("user-assigned managed identity (client id 11111111-2222"));
    }

    @Test
    void client_secret_comes_before_a_certificate() throws Exception {
        Path pfx = TestTls.get().keyStore;
        Credentials.Choice choice = choose("{\"tenantId\":\"t\",\"aadClientId\":\"a\",\"aadClientSecret\":\"s\","
                + "\"aadClientCertPath\":\"" + pfx + "\"}", Map.of());
        assertEquals(AuthKind.CLIENT_SECRET, choice.kind());
        assertFalse(choice.description().contains("\"s\"") || choice.description().endsWith(" s"));
    }

    @Test
    void a_certificate_is_used_when_there_is_no_secret() throws Exception {
        Path pfx = TestTls.get().keyStore;
        Credentials.Choice choice = choose("{\"tenantId\":\"t\",\"aadClientId\":\"a\",\"aadClientCertPath\":\""
                + pfx + "\",\"aadClientCertPassword\":\"pw-xyz\"}", Map.of());
        assertEquals(AuthKind.CLIENT_CERTIFICATE, choice.kind());
        assertTrue(choice.description().contains("PKCS#12"));
        assertFalse(choice.description().contains("pw-xyz"));
    }

    @Test
    void workload_identity_then_environment_credentials_follow_the_go_plugin_rules() throws Exception {
        Map<String, String> workload = Map.of("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token", "AZURE_CLIENT_ID", "c",
                "AZURE_TENANT_ID", "t", "AZURE_CLIENT_SECRET", "env-secret");
        assertEquals(AuthKind.WORKLOAD_IDENTITY, choose("{}", workload).kind());
        Credentials.Choice env = choose("{}", Map.of("AZURE_CLIENT_ID", "c", "AZURE_TENANT_ID", "t",
                "AZURE_CLIENT_SECRET", "env-secret"));
        assertEquals(AuthKind.ENVIRONMENT, env.kind());
        assertFalse(env.description().contains("env-secret"));
        // The config file's rules still come first.
        assertEquals(AuthKind.CLIENT_SECRET, choose("{\"tenantId\":\"t\",\"aadClientId\":\"a\","
                + "\"aadClientSecret\":\"s\"}", workload).kind());
    }

    @Test
    void nothing_configured_is_the_go_plugins_no_credentials_provided_error() {
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class,
                () -> choose("{\"cloud\":\"AzurePublicCloud\"}", Map.of()));
        assertTrue(e.getMessage().startsWith("no credentials provided"), e.getMessage());
        assertTrue(e.getMessage().contains("AZURE_FEDERATED_TOKEN_FILE"), e.getMessage());
    }

    @Test
    void a_secret_without_client_id_names_the_missing_field() {
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class,
                () -> choose("{\"tenantId\":\"t\",\"aadClientSecret\":\"s\"}", Map.of()));
        assertTrue(e.getMessage().contains("aadClientId"), e.getMessage());
    }

    @Test
    void an_explicit_choice_overrides_the_rules() throws Exception {
        Path file = dir.resolve("both.json");
        Files.writeString(file, "{\"useManagedIdentityExtension\":true,\"tenantId\":\"t\",\"aadClientId\":\"a\","
                + "\"aadClientSecret\":\"s\"}");
        assertEquals(AuthKind.CLIENT_SECRET, Credentials.choose(AuthKind.CLIENT_SECRET, AzureConfig.read(file),
                Map.of(), AUTHORITY, true).kind());
    }

    @Test
    void field_names_match_case_insensitively_as_go_encoding_json_does() throws Exception {
        Path file = dir.resolve("cased.json");
        Files.writeString(file, "{\"TenantID\":\"t\",\"AADClientID\":\"a\",\"aadclientsecret\":\"s\"}");
        AzureConfig config = AzureConfig.read(file);
        assertEquals("t", config.tenantId());
        assertEquals("a", config.aadClientId());
        assertEquals("s", config.aadClientSecret());
    }

    @Test
    void yaml_config_files_are_read_like_json() throws Exception {
        Path file = dir.resolve("azure.yaml");
        Files.writeString(file, "# written by hand\ncloud: AzureChinaCloud\ntenantId: \"t\"\naadClientId: 'a'\n"
                + "aadClientSecret: s#not-a-comment\nuseManagedIdentityExtension: false\nnested:\n  ignored: 1\n");
        AzureConfig config = AzureConfig.read(file);
        assertEquals("AzureChinaCloud", config.cloud());
        assertEquals("t", config.tenantId());
        assertEquals("a", config.aadClientId());
        assertEquals("s#not-a-comment", config.aadClientSecret());
        assertFalse(config.toString().contains("s#not-a-comment"), "toString must redact the secret");
    }

    // --- real token flows against the test token endpoint ---------------------------------------------------------

    @Test
    void client_secret_gets_a_token_for_the_vault_audience_and_reuses_it() {
        try (var backend = fixture.open()) {
            assertEquals(1, vault.tokenRequests.size(), "one token for all calls");
            Map<String, String> request = vault.tokenRequests.get(0);
            assertEquals("client_credentials", request.get("grant_type"));
            assertEquals("app-1", request.get("client_id"));
            assertTrue(request.get("scope").contains("https://vault.azure.net/.default"), request.get("scope"));
            assertEquals("/" + TestKeyVault.TENANT + "/oauth2/v2.0/token", request.get("path"));
        }
    }

    @Test
    void a_pkcs12_client_certificate_signs_a_client_assertion() throws Exception {
        fixture.config("{\"tenantId\":\"" + TestKeyVault.TENANT + "\",\"aadClientId\":\"app-2\","
                + "\"aadClientCertPath\":\"" + TestTls.get().keyStore + "\",\"aadClientCertPassword\":\""
                + TestTls.PASSWORD + "\"}");
        try (var backend = fixture.open()) {
            Map<String, String> request = vault.tokenRequests.get(0);
            assertEquals("app-2", request.get("client_id"));
            assertEquals("urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    request.get("client_assertion_type"));
            assertEquals(3, request.get("client_assertion").split("\\.").length, "a signed JWT");
        }
    }

    @Test
    void workload_identity_presents_the_federated_token_file() throws Exception {
        fixture.config("{}");
        Path token = dir.resolve("token");
        Files.writeString(token, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln");
        fixture.env.putAll(Map.of("AZURE_FEDERATED_TOKEN_FILE", token.toString(), "AZURE_CLIENT_ID", "wi-client",
                "AZURE_TENANT_ID", TestKeyVault.TENANT, "AZURE_AUTHORITY_HOST", vault.url()));
        try (var backend = fixture.open()) {
            Map<String, String> request = vault.tokenRequests.get(0);
            assertEquals("wi-client", request.get("client_id"));
            assertEquals(Files.readString(token), request.get("client_assertion"));
        }
    }

    @Test
    void environment_credentials_use_the_azure_client_secret() throws Exception {
        fixture.config("{}");
        fixture.env.putAll(Map.of("AZURE_CLIENT_ID", "env-client", "AZURE_TENANT_ID", TestKeyVault.TENANT,
                "AZURE_CLIENT_SECRET", vault.clientSecret));
        try (var backend = fixture.open()) {
            assertEquals("env-client", vault.tokenRequests.get(0).get("client_id"));
        }
    }

    @Test
    void a_user_assigned_managed_identity_asks_the_metadata_service_for_a_vault_token() throws Exception {
        fixture.config("{\"useManagedIdentityExtension\":true,\"userAssignedIdentityID\":\"mi-client-1\"}");
        int imds = vault.startProxy();
        try (var backend = fixture.openWithImdsAt(imds)) {
            Map<String, String> request = vault.tokenRequests.get(0);
            assertEquals("imds", request.get("path"));
            assertEquals("true", request.get("metadata"));
            assertEquals("mi-client-1", request.get("client_id"));
            assertTrue(request.get("resource").startsWith("https://vault.azure.net"), request.toString());
        }
    }
}
