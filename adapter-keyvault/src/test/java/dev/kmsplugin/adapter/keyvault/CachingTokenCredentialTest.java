package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.kmsplugin.adapter.keyvault.KeyVaultSettings.AuthKind;
import dev.kmsplugin.domain.failure.KmsException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The shared credential asks Entra ID for the vault's own scope only, and forgets a rejected token. */
class CachingTokenCredentialTest {

    static final String HSM_SCOPE = "https://managedhsm.azure.net/.default";

    final List<List<String>> asked = new CopyOnWriteArrayList<>();
    final TokenCredential entraId = new TokenCredential() {
        @Override
        public Mono<AccessToken> getToken(TokenRequestContext request) {
            return Mono.fromCallable(() -> getTokenSync(request));
        }

        @Override
        public AccessToken getTokenSync(TokenRequestContext request) {
            asked.add(request.getScopes());
            return new AccessToken("token-" + asked.size(), OffsetDateTime.now().plusHours(1));
        }
    };
    final CachingTokenCredential credential = new CachingTokenCredential(entraId,
            new Credentials.Choice(AuthKind.CLIENT_SECRET, "test", "nothing", http -> entraId), HSM_SCOPE);

    private static TokenRequestContext scopes(String... scopes) {
        return new TokenRequestContext().addScopes(scopes);
    }

    @Test
    void the_vaults_audience_in_any_spelling_is_requested_as_its_scope_and_cached() {
        credential.getTokenSync(scopes(HSM_SCOPE));
        credential.getTokenSync(scopes("https://managedhsm.azure.net"));
        credential.getTokenSync(scopes("https://ManagedHSM.azure.net/"));
        assertEquals(List.of(List.of(HSM_SCOPE)), asked);
    }

    @Test
    void another_resource_is_refused_with_one_clear_line_and_never_requested() {
        KmsException.AccessDenied e = assertThrows(KmsException.AccessDenied.class,
                () -> credential.getTokenSync(scopes("https://management.azure.com/.default")));
        assertEquals("the endpoint asked for a token for https://management.azure.com/.default, not for this "
                + "vault's " + HSM_SCOPE + "; refusing", e.getMessage());
        assertThrows(KmsException.AccessDenied.class,
                () -> credential.getTokenSync(scopes("https://vault.azure.net/.default")));
        assertThrows(KmsException.AccessDenied.class,
                () -> credential.getTokenSync(scopes(HSM_SCOPE, "https://graph.microsoft.com/.default")));
        assertEquals(List.of(), asked);
    }

    @Test
    void a_forgotten_token_is_fetched_again() {
        String first = credential.getTokenSync(scopes(HSM_SCOPE)).getToken();
        credential.forget();
        String second = credential.getTokenSync(scopes(HSM_SCOPE)).getToken();
        assertEquals(List.of("token-1", "token-2"), List.of(first, second));
    }
}
