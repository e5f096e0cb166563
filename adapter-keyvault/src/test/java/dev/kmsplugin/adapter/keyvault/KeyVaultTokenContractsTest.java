package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tokens only for the vault's own scope, whatever the challenge names. */
class KeyVaultTokenContractsTest extends VaultTest {

    static final String VAULT_SCOPE = "https://vault.azure.net/.default";

    @BeforeEach
    void key() {
        vault.createVersion("kek", 2048);
    }

    private static void assertOnlyVaultTokens(TestKeyVault vault) {
        List<String> audiences = vault.tokenAudiences();
        assertTrue(audiences.stream().allMatch(VAULT_SCOPE::equals), audiences.toString());
    }

    // --- tokens only for the vault ---------------------------------------------------------------------------------

    @Test
    void the_vaults_own_challenge_gets_a_token_for_the_vault_scope_only() {
        try (var backend = fixture.open()) {
            assertEquals(Health.State.HEALTHY, backend.health().state());
            assertEquals(List.of(VAULT_SCOPE), vault.tokenAudiences());
        }
    }

    @Test
    void a_challenge_naming_another_resource_is_refused_and_no_token_for_it_is_requested() {
        vault.challengeResource = "https://management.azure.com";
        KmsException e = assertThrows(KmsException.class, () -> fixture.open().close());
        assertTrue(e.getMessage().contains("the endpoint asked for a token for https://management.azure.com"),
                e.getMessage());
        assertTrue(e.getMessage().contains("not for this vault's " + VAULT_SCOPE + "; refusing"), e.getMessage());
        assertEquals(List.of(), vault.tokenAudiences());
    }

    @Test
    void a_challenge_scope_naming_another_resource_never_gets_a_token_for_it() {
        // The SDK takes the resource, not the scope, from Key Vault's challenge: whichever it used, only the vault's
        // scope may reach the token endpoint.
        vault.challengeScope = "https://management.azure.com/.default";
        try {
            fixture.open().close();
        } catch (KmsException e) {
            assertTrue(e.getMessage().contains("refusing"), e.getMessage());
        }
        assertOnlyVaultTokens(vault);
    }
}
