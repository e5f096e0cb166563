package dev.kmsplugin.adapter.keyvault;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.time.Duration;
import dev.kmsplugin.domain.failure.KmsException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/**
 * One token per scope and tenant for the whole process, shared by every SDK client (each of which otherwise keeps
 * its own). A token is renewed five minutes before it expires; if Entra ID is unreachable then, the still-valid token
 * keeps serving, so a short Entra ID outage never fails a KMS call.
 *
 * <p>It only ever asks Entra ID for a token for the vault's own scope, whatever scope the SDK passes on from a
 * Key Vault challenge: with {@code kms.keyvault.endpoint} set the SDK's challenge resource check is off, so a host
 * answering there could otherwise name another audience (Azure Resource Manager, say) and receive the identity's
 * token for it. A request for any other scope is refused before Entra ID is asked.
 *
 * <p>{@link #forget()} drops the cached tokens after Key Vault rejected one (401), so the next request fetches a new
 * token instead of presenting the rejected one again.
 */
final class CachingTokenCredential implements TokenCredential {

    private static final Duration RENEW_BEFORE = Duration.ofMinutes(5);

    private final TokenCredential delegate;
    private final Credentials.Choice choice;
    private final String scope;
    private final Map<String, AccessToken> tokens = new ConcurrentHashMap<>();

    /** @param scope the vault's own token scope ({@link VaultAddress#scope()}), the only one ever requested */
    CachingTokenCredential(TokenCredential delegate, Credentials.Choice choice, String scope) {
        this.delegate = delegate;
        this.choice = choice;
        this.scope = scope;
    }

    /** Forgets every cached token: Key Vault rejected one, so the next request must fetch a new one. */
    void forget() {
        tokens.clear();
    }

    @Override
    public Mono<AccessToken> getToken(TokenRequestContext request) {
        return Mono.fromCallable(() -> getTokenSync(request));
    }

    // The SDK policy keeps the token it was given until shortly before it expires; handing it a copy that has
    // already expired makes it ask here for every request, so that this cache (and forget()) is the only one.
    @Override
    public AccessToken getTokenSync(TokenRequestContext asked) {
        AccessToken token = cachedToken(asked);
        return new AccessToken(token.getToken(), OffsetDateTime.now().minusSeconds(1));
    }

    private AccessToken cachedToken(TokenRequestContext asked) {
        TokenRequestContext request = vaultOnly(asked);
        String key = String.join(" ", request.getScopes()) + "|" + request.getTenantId() + "|" + request.getClaims();
        AccessToken cached = tokens.get(key);
        OffsetDateTime now = OffsetDateTime.now();
        if (cached != null && cached.getExpiresAt().minus(RENEW_BEFORE).isAfter(now)) {
            return cached;
        }
        synchronized (this) {
            cached = tokens.get(key);
            if (cached != null && cached.getExpiresAt().minus(RENEW_BEFORE).isAfter(now)) {
                return cached;
            }
            try {
                AccessToken fresh = delegate.getTokenSync(request);
                tokens.put(key, fresh);
                return fresh;
            } catch (RuntimeException e) {
                if (cached != null && cached.getExpiresAt().isAfter(now.plusSeconds(30))) {
                    return cached;
                }
                throw EntraIdRejection.explain(e, choice);
            }
        }
    }

    // The vault's scope, whatever the challenge named: Key Vault's challenge carries the audience with or without a
    // trailing slash or "/.default"; anything else is another resource and is refused.
    private TokenRequestContext vaultOnly(TokenRequestContext asked) {
        List<String> scopes = asked.getScopes();
        for (String each : scopes) {
            if (!audienceOf(each).equals(audienceOf(scope))) {
                throw new KmsException.AccessDenied("the endpoint asked for a token for "
                        + KeyVaultErrors.oneLine(each) + ", not for this vault's " + scope + "; refusing");
            }
        }
        TokenRequestContext request = new TokenRequestContext().setScopes(List.of(scope))
                .setTenantId(asked.getTenantId()).setClaims(asked.getClaims()).setCaeEnabled(asked.isCaeEnabled());
        return request;
    }

    private static String audienceOf(String requested) {
        String audience = requested.trim().toLowerCase(Locale.ROOT);
        if (audience.endsWith("/.default")) {
            audience = audience.substring(0, audience.length() - "/.default".length());
        } else if (audience.endsWith(".default")) {
            audience = audience.substring(0, audience.length() - ".default".length());
        }
        while (audience.endsWith("/")) {
            audience = audience.substring(0, audience.length() - 1);
        }
        return audience;
    }
}
