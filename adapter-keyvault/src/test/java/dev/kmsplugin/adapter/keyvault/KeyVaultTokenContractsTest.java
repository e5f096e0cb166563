package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tokens only for the vault's own scope, and a rejected token retried once with a fresh one. */
class KeyVaultTokenContractsTest extends VaultTest {

    static final String VAULT_SCOPE = "https://vault.azure.net/.default";

    @BeforeEach
    void key() {
        vault.createVersion("kek", 2048);
    }

    static CallContext call() {
        return CallContext.of("uid", Duration.ofSeconds(5));
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

    @Test
    void an_endpoint_that_turns_to_asking_for_another_audience_gets_nothing_and_the_call_fails_clearly() {
        try (var backend = fixture.open()) {
            byte[] wrapped = backend.wrap(backend.current(), new Plaintext(new byte[32]), new byte[0], call());
            vault.revokeTokens();
            vault.challengeResource = "https://management.azure.com";
            KmsException e = assertThrows(KmsException.class, () -> backend.unwrap(
                    new SealedDataKey(backend.current().algorithm(), backend.current().ref(), wrapped), call()));
            assertTrue(e.getMessage().contains("refusing"), e.getMessage());
            assertOnlyVaultTokens(vault);
        }
    }

    // --- one 401 is not an outage ----------------------------------------------------------------------------------

    @Test
    void one_rejected_token_is_replaced_by_a_fresh_one_and_health_stays_healthy() {
        try (var backend = fixture.open()) {
            byte[] dek = new byte[32];
            dek[0] = 7;
            byte[] wrapped = backend.wrap(backend.current(), new Plaintext(dek.clone()), new byte[0], call());
            int tokensBefore = vault.tokenRequests.size();
            vault.revokeTokens();
            Plaintext back = backend.unwrap(new SealedDataKey(backend.current().algorithm(), backend.current().ref(),
                    wrapped), call());
            assertArrayEquals(dek, back.bytes());
            assertEquals(tokensBefore + 1, vault.tokenRequests.size(), "a new token was fetched");
            assertTrue(fixture.telemetry.retries.contains("unwrapKey:token_rejected"),
                    fixture.telemetry.retries.toString());
            assertEquals(Health.State.HEALTHY, backend.health().state());
            assertOnlyVaultTokens(vault);
        }
    }

    @Test
    void tokens_rejected_for_good_fail_clearly_and_turn_health_after_three_calls_until_a_call_succeeds() {
        try (var backend = fixture.open()) {
            byte[] wrapped = backend.wrap(backend.current(), new Plaintext(new byte[32]), new byte[0], call());
            SealedDataKey sealed = new SealedDataKey(backend.current().algorithm(), backend.current().ref(), wrapped);
            vault.rejectAllTokens = true;
            for (int i = 1; i <= CurrentVersion.FAILED_CALLS; i++) {
                KmsException.AccessDenied e = assertThrows(KmsException.AccessDenied.class,
                        () -> backend.unwrap(sealed, call()));
                assertTrue(e.getMessage().contains("rejected the plugin's token") && e.getMessage().contains("401"),
                        e.getMessage());
                assertEquals(i < CurrentVersion.FAILED_CALLS ? Health.State.HEALTHY : Health.State.UNHEALTHY,
                        backend.health().state(), "after " + i + " failed calls");
            }
            vault.rejectAllTokens = false;
            backend.unwrap(sealed, call());
            assertEquals(Health.State.HEALTHY, backend.health().state());
        }
    }

    @Test
    void a_probe_rejected_with_401_turns_health_at_once() {
        try (var backend = fixture.open()) {
            vault.rejectAllTokens = true;
            backend.probe();
            assertEquals(Health.State.UNHEALTHY, backend.health().state());
            assertTrue(backend.health().detail().contains("401"), backend.health().detail());
        }
    }
}
