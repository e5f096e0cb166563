package dev.kmsplugin.adapter.keyvault;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/**
 * One token per scope and tenant for the whole process, shared by every SDK client (each of which otherwise keeps
 * its own). A token is renewed five minutes before it expires; if Entra ID is unreachable then, the still-valid token
 * keeps serving, so a short Entra ID outage never fails a KMS call.
 */
final class CachingTokenCredential implements TokenCredential {

    private static final Duration RENEW_BEFORE = Duration.ofMinutes(5);

    private final TokenCredential delegate;
    private final Credentials.Choice choice;
    private final Map<String, AccessToken> tokens = new ConcurrentHashMap<>();

    CachingTokenCredential(TokenCredential delegate, Credentials.Choice choice) {
        this.delegate = delegate;
        this.choice = choice;
    }

    @Override
    public Mono<AccessToken> getToken(TokenRequestContext request) {
        return Mono.fromCallable(() -> getTokenSync(request));
    }

    @Override
    public AccessToken getTokenSync(TokenRequestContext request) {
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
}
