package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.models.JsonWebKey;
import com.azure.security.keyvault.keys.models.KeyOperation;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import java.math.BigInteger;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** What makes a key version fit to wrap data keys: enabled and valid now, RSA of 2048 bits or more, wrap+unwrap. */
final class KeyChecks {

    /** The smallest RSA modulus the plugin wraps with, whether Key Vault wraps or the plugin does. */
    static final int MIN_RSA_BITS = 2048;

    private final Clock clock;
    private final VaultAddress address;

    KeyChecks(Clock clock, VaultAddress address) {
        this.clock = clock;
        this.address = address;
    }

    /** Enabled, and inside its not-before/expiry window by the injected clock. */
    boolean usable(KeyProperties properties) {
        OffsetDateTime now = OffsetDateTime.now(clock);
        return Boolean.TRUE.equals(properties.isEnabled())
                && (properties.getExpiresOn() == null || properties.getExpiresOn().isAfter(now))
                && (properties.getNotBefore() == null || !properties.getNotBefore().isAfter(now));
    }

    /**
     * Versionless mode's rule for the version that wraps new data keys: the usable version created last among the
     * key's versions as the listing gives them (each with {@code enabled}, {@code nbf} and {@code exp}). When the
     * newest version is usable that is the newest, what a get without a version returns.
     */
    KeyProperties versionlessCurrent(String keyName, List<KeyProperties> versions) {
        return versions.stream().filter(this::usable)
                .max(Comparator.comparing(p -> Optional.ofNullable(p.getCreatedOn()).orElse(OffsetDateTime.MIN)))
                .orElseThrow(() -> new KmsException.Misconfigured("key " + keyName + " in " + address.canonicalUrl()
                        + " has no enabled version; enable one or create a new version"));
    }

    /**
     * The same rule for an identity that may not list versions: the newest version (a get without a version) when
     * it is usable; otherwise there is nothing to fall back to.
     */
    KeyProperties versionlessCurrent(String keyName, KeyProperties newest) {
        return versionlessCurrent(keyName, List.of(newest));
    }

    /** Returns {@code key} when it fits; throws Misconfigured otherwise. */
    KeyVaultKey verify(KeyVaultKey key, KeyRef ref) {
        String what = "key " + ref + " in " + address.canonicalUrl();
        if (!Boolean.TRUE.equals(key.getProperties().isEnabled())) {
            throw new KmsException.Misconfigured(what + " is disabled; enable it or pick another version");
        }
        JsonWebKey jwk = key.getKey();
        KeyType type = jwk.getKeyType();
        if (!KeyType.RSA.equals(type) && !KeyType.RSA_HSM.equals(type)) {
            throw new KmsException.Misconfigured(what + " is of type " + type + "; the plugin needs an RSA key "
                    + "(RSA or RSA-HSM, 2048 bits or more)");
        }
        int bits = jwk.getN() == null ? 0 : new BigInteger(1, jwk.getN()).bitLength();
        if (bits < MIN_RSA_BITS) {
            throw new KmsException.Misconfigured(what + " has " + bits + " bits; the plugin needs RSA of "
                    + MIN_RSA_BITS + " bits or more");
        }
        List<KeyOperation> ops = jwk.getKeyOps();
        if (ops != null && !ops.isEmpty()) {
            List<String> missing = new ArrayList<>();
            if (!ops.contains(KeyOperation.WRAP_KEY)) {
                missing.add("wrapKey");
            }
            if (!ops.contains(KeyOperation.UNWRAP_KEY)) {
                missing.add("unwrapKey");
            }
            if (!missing.isEmpty()) {
                throw new KmsException.Misconfigured(what + " does not permit the operations " + missing
                        + " (its key_ops are " + ops + "); create a key version whose operations include wrapKey "
                        + "and unwrapKey");
            }
        }
        return key;
    }
}
