package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import java.util.Optional;

/**
 * Where a vault lives: its canonical URL (the identity that key_ids are derived from), the URL the SDK connects to,
 * and the token audience.
 *
 * @param canonicalUrl {@code https://<vault>.<suffix>/}, always with the trailing slash
 * @param serviceUrl   where requests go: the canonical URL, or an override for private endpoints and tests
 */
record VaultAddress(String canonicalUrl, String serviceUrl, String audience, boolean managedHsm) {

    static VaultAddress of(String vaultName, boolean managedHsm, Cloud cloud, Optional<String> endpoint) {
        String suffix;
        String audience;
        if (managedHsm) {
            suffix = cloud.managedHsmSuffix().orElseThrow(() -> new KmsException.Misconfigured(
                    KeyVaultBackendProvider.flag("managed-hsm") + " is only available in AzurePublicCloud, not in "
                            + cloud.name()));
            audience = cloud.managedHsmAudience().orElseThrow();
        } else {
            suffix = cloud.vaultSuffix();
            audience = cloud.vaultAudience();
        }
        // Not lower-cased: the Go plugin uses the name as given, and key_ids must match its.
        String canonical = "https://" + vaultName + "." + suffix + "/";
        String service = endpoint.map(e -> e.endsWith("/") ? e : e + "/").orElse(canonical);
        return new VaultAddress(canonical, service, audience, managedHsm);
    }

    /**
     * The KMS v2 key_id, identical to the Go plugin's: lowercase hex SHA-256 of
     * {@code <canonical vault URL>keys/<name>/<version>}. Part of the stored-data contract: never change it.
     */
    KeyId keyId(KeyRef key) {
        return KeyId.sha256Hex(canonicalUrl + "keys/" + key.name() + "/" + key.version());
    }

    /** The key identifier the CryptographyClient addresses. */
    String keyUrl(KeyRef key) {
        return serviceUrl + "keys/" + key.name() + "/" + key.version();
    }

    boolean overridden() {
        return !serviceUrl.equals(canonicalUrl);
    }

    /** The token scope for this vault's audience. */
    String scope() {
        return audience + "/.default";
    }
}
