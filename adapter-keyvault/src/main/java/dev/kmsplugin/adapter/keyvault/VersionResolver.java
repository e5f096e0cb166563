package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.KeyAsyncClient;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * Which key version is current by Key Vault's word: the pinned one (--key-version), or in versionless mode the
 * newest usable one from the versions listing. The chosen version's key bundle is read and checked
 * ({@link KeyChecks}); with --wrap=local its public key and attributes go to {@link LocalWrap}.
 */
final class VersionResolver {

    /**
     * How long a version's key bundle, once read and checked, stands for it while the listing keeps choosing it: a
     * version's key material never changes, and the listing carries its enabled flag and validity window; the
     * bundle is read again after this to see changed key operations.
     */
    static final Duration BUNDLE_REREAD = Duration.ofHours(1);

    /** The version whose key bundle was read and checked last, when, and when Key Vault says it was created. */
    private record Checked(KeyRef ref, Instant at, Instant created) {
    }

    private final KeyVaultSettings settings;
    private final KeyAsyncClient keys;
    private final RetryLoop retries;
    private final KeyChecks checks;
    private final LocalWrap local;
    private final Clock clock;
    private volatile Checked checked;

    VersionResolver(KeyVaultSettings settings, KeyAsyncClient keys, RetryLoop retries, KeyChecks checks,
                    LocalWrap local, Clock clock) {
        this.settings = settings;
        this.keys = keys;
        this.retries = retries;
        this.checks = checks;
        this.local = local;
        this.clock = clock;
    }

    /**
     * The current version, read and checked. While the listing keeps choosing {@code current} (the version in use,
     * or null at start), its bundle is not read again for {@link #BUNDLE_REREAD}: one request per refresh.
     */
    KeyRef resolve(CallContext call, KeyRef current) {
        String name = settings.keyName();
        if (settings.keyVersion().isPresent()) {
            KeyRef pinned = new KeyRef(name, settings.keyVersion().get());
            remember(pinned, checks.verify(getKey(pinned, call), pinned));
            return pinned;
        }
        // The listing carries enabled, nbf and exp of every version, so the choice does not depend on how Key Vault
        // answers a GET of a disabled newest version (200 with enabled=false, or 403 KeyDisabled).
        List<KeyProperties> listed;
        try {
            listed = retries.run(Operation.LIST, "the versions of key " + name, call,
                    timeout -> keys.listPropertiesOfKeyVersions(name).collectList().timeout(timeout).block());
        } catch (KmsException.AccessDenied noList) {
            listed = null; // an identity without 'list': the newest version, as the GET without a version names it
        }
        if (listed != null && !listed.isEmpty()) {
            KeyProperties chosen = checks.versionlessCurrent(name, listed);
            KeyRef ref = new KeyRef(name, chosen.getVersion());
            Checked last = checked;
            if (ref.equals(current) && last != null && last.ref().equals(ref)
                    && clock.instant().isBefore(last.at().plus(BUNDLE_REREAD))) {
                // Still the current version: the listing's attributes are enough.
                if (settings.wrap() == KeyVaultSettings.WrapMode.LOCAL) {
                    local.attributes(ref, chosen);
                }
                return ref;
            }
            remember(ref, checks.verify(getKey(ref, call), ref));
            return ref;
        }
        KeyVaultKey latest = retries.run(Operation.GET, "key " + name, call, timeout ->
                keys.getKey(name).timeout(timeout).block());
        KeyRef ref = new KeyRef(name, checks.versionlessCurrent(name, latest.getProperties()).getVersion());
        remember(ref, checks.verify(latest, ref));
        return ref;
    }

    /** When {@code ref} was created, if it is the version read last and Key Vault said; else null. */
    Instant createdOn(KeyRef ref) {
        Checked last = checked;
        return last != null && last.ref().equals(ref) ? last.created() : null;
    }

    // Local wrap takes the public key and attributes from the bundle just read and checked.
    private void remember(KeyRef ref, KeyVaultKey key) {
        if (settings.wrap() == KeyVaultSettings.WrapMode.LOCAL) {
            local.remember(ref, key);
        }
        OffsetDateTime created = key.getProperties() == null ? null : key.getProperties().getCreatedOn();
        checked = new Checked(ref, clock.instant(), created == null ? null : created.toInstant());
    }

    private KeyVaultKey getKey(KeyRef ref, CallContext call) {
        return retries.run(Operation.GET, "key " + ref, call, timeout ->
                keys.getKey(ref.name(), ref.version()).timeout(timeout).block());
    }
}
