package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Start-up verification: the plugin refuses to serve with a key it cannot use, and says what to fix. */
class KeyVaultStartupTest extends VaultTest {

    private String failure(Class<? extends KmsException> type) {
        return assertThrows(type, () -> fixture.open().close()).getMessage();
    }

    @Test
    void a_missing_key_fails_naming_key_and_vault() {
        String message = failure(KmsException.UnknownKeyVersion.class);
        assertTrue(message.contains("kek") && message.contains("does not exist"), message);
    }

    @Test
    void a_missing_pinned_version_fails() {
        vault.createVersion("kek", 2048);
        fixture.set("key-version", "0123456789abcdef0123456789abcdef");
        String message = failure(KmsException.UnknownKeyVersion.class);
        assertTrue(message.contains("0123456789abcdef0123456789abcdef"), message);
    }

    @Test
    void a_disabled_pinned_version_fails() {
        TestKeyVault.Version v = vault.createVersion("kek", 2048);
        v.enabled = false;
        fixture.set("key-version", v.id);
        assertTrue(failure(KmsException.Misconfigured.class).contains("is disabled"));
    }

    @Test
    void a_key_that_is_not_rsa_fails() {
        vault.createVersion("kek", 2048).kty = "EC";
        String message = failure(KmsException.Misconfigured.class);
        assertTrue(message.contains("type EC") && message.contains("RSA"), message);
    }

    @Test
    void an_rsa_key_below_2048_bits_fails() {
        vault.createVersion("kek", 1024);
        String message = failure(KmsException.Misconfigured.class);
        assertTrue(message.contains("1024 bits") && message.contains("2048"), message);
    }

    @Test
    void a_key_whose_operations_exclude_wrap_and_unwrap_fails_naming_them() {
        vault.createVersion("kek", 2048).ops = List.of("encrypt", "decrypt");
        String message = failure(KmsException.Misconfigured.class);
        assertTrue(message.contains("[wrapKey, unwrapKey]"), message);
    }

    @Test
    void missing_wrap_permission_fails_naming_the_permission_and_the_role() {
        vault.createVersion("kek", 2048);
        vault.deny("wrapkey");
        fixture.set("wrap", "remote"); // a local wrap needs no wrapKey permission
        String message = failure(KmsException.AccessDenied.class);
        assertTrue(message.contains("'wrapKey'") && message.contains("Key Vault Crypto Service Encryption User"),
                message);
    }

    @Test
    void missing_unwrap_permission_fails_naming_the_permission() {
        vault.createVersion("kek", 2048);
        vault.deny("unwrapkey");
        assertTrue(failure(KmsException.AccessDenied.class).contains("'unwrapKey'"));
    }

    @Test
    void missing_get_permission_fails_naming_the_permission() {
        vault.createVersion("kek", 2048);
        vault.deny("get");
        assertTrue(failure(KmsException.AccessDenied.class).contains("'get'"));
    }

    @Test
    void a_wrong_client_secret_is_an_authentication_failure_not_a_missing_permission() throws Exception {
        vault.createVersion("kek", 2048);
        vault.clientSecret = "another-secret";
        String message = failure(KmsException.Misconfigured.class);
        assertTrue(message.contains("Entra ID rejected") && message.contains("invalid_client")
                && message.contains("AADSTS7000215") && message.contains("Invalid client secret"), message);
        assertTrue(message.contains("client secret") && message.contains("aadClientSecret"), message);
        assertTrue(!message.contains("RBAC"), message);
        assertTrue(!message.contains("s3cr3t-value"), "the secret leaked into: " + message);
    }
}
