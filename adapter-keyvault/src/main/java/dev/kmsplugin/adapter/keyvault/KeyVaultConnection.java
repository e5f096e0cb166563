package dev.kmsplugin.adapter.keyvault;

import com.azure.core.http.HttpClient;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.security.keyvault.keys.KeyAsyncClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyAsyncClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import dev.kmsplugin.domain.key.KeyRef;
import java.time.Duration;
import java.util.Map;

/**
 * Everything needed to talk to one vault: its address, the chosen credential (built once, tokens cached), and the
 * HTTP client (with proxy mode applied). Serving and the {@code keyvault} command build their SDK clients here.
 */
final class KeyVaultConnection {

    final VaultAddress address;
    final Credentials.Choice choice;
    private final CachingTokenCredential credential;
    private final HttpClient http;

    private KeyVaultConnection(VaultAddress address, Credentials.Choice choice, HttpClient http) {
        this.address = address;
        this.choice = choice;
        this.http = http;
        this.credential = new CachingTokenCredential(choice.build(http), choice, address.scope());
    }

    static KeyVaultConnection open(KeyVaultSettings settings, Map<String, String> env, HttpClient http) {
        AzureConfig config = AzureConfig.read(settings.configFile());
        Cloud cloud = Cloud.named(config.cloud(), env);
        VaultAddress address = VaultAddress.of(settings.vaultName(), settings.managedHsm(), cloud, settings.endpoint());
        String authority = settings.authorityHost().orElse(cloud.authorityHost());
        boolean knownAuthority = settings.authorityHost().isEmpty();
        Credentials.Choice choice = Credentials.choose(settings.auth(), config, env, authority, knownAuthority);
        HttpClient transport = settings.proxyMode()
                ? new ProxyModeHttpClient(http, settings.proxyAddress(), settings.proxyPort(), address.serviceUrl(),
                authority)
                : http;
        return new KeyVaultConnection(address, choice, transport);
    }

    // Retries are ours: they must respect the caller's deadline, which the SDK's policy cannot see.
    private static RetryOptions noSdkRetries() {
        return new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1)));
    }

    /** Key Vault rejected a token (401): the next request fetches a new one. */
    void forgetTokens() {
        credential.forget();
    }

    KeyAsyncClient keys() {
        KeyClientBuilder builder = new KeyClientBuilder().vaultUrl(address.serviceUrl()).credential(credential)
                .httpClient(http).retryOptions(noSdkRetries());
        if (address.overridden()) {
            // The challenge names the real vault's audience, which cannot match a private or test host name. The
            // credential still gives out tokens for this vault's scope only (CachingTokenCredential).
            builder.disableChallengeResourceVerification();
        }
        return builder.buildAsyncClient();
    }

    CryptographyAsyncClient crypto(KeyRef key) {
        CryptographyClientBuilder builder = new CryptographyClientBuilder().keyIdentifier(address.keyUrl(key))
                .credential(credential).httpClient(http).retryOptions(noSdkRetries())
                // The SDK never does RSA itself: its clients only call the vault. Wrapping locally with the public
                // key (the default, --wrap=local) is LocalWrap's, from a key bundle the backend read and checked
                // (RSA of 2048 bits or more, enabled, within nbf/exp on every wrap): a public-key operation needs no
                // secret, and this keeps Encrypt free of Key Vault calls. Unwrap, which needs the private key,
                // always happens in the vault.
                .disableKeyCaching();
        if (address.overridden()) {
            builder.disableChallengeResourceVerification();
        }
        return builder.buildAsyncClient();
    }
}
