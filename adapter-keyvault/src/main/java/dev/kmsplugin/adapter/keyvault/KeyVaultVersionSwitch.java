package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.KeyAsyncClient;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory.KnownVersion;
import dev.kmsplugin.ports.retirement.Retirement;
import java.time.Duration;

/**
 * Retires a key version the only reversible way Key Vault offers: {@code enabled=false} on that one version (update
 * key properties, permission {@code update}); restoring sets {@code enabled=true}. Nothing is ever deleted: Key Vault
 * cannot delete one version, and deleting the key would delete all of them.
 */
final class KeyVaultVersionSwitch implements Retirement.Switch {

    private static final Duration BUDGET = Duration.ofSeconds(30);

    private final KeyVaultSettings settings;
    private final KeyAsyncClient keys;
    private final RetryLoop retries;

    KeyVaultVersionSwitch(KeyVaultSettings settings, KeyVaultConnection connection, RetryLoop retries) {
        this.settings = settings;
        this.keys = connection.keys();
        this.retries = retries;
    }

    /** The command line that enables {@code version} again, with the flags that name the vault and key. */
    static String restoreCommand(KeyVaultSettings settings, String version) {
        return "kms-plugin keyvault restore-version " + version + " " + KeyVaultBackendProvider.flag("vault-name")
                + "=" + settings.vaultName()
                + " " + KeyVaultBackendProvider.flag("key-name") + "=" + settings.keyName()
                + (settings.managedHsm() ? " " + KeyVaultBackendProvider.flag("managed-hsm") : "");
    }

    @Override
    public void retire(KnownVersion version) {
        setEnabled(version.ref(), false);
    }

    @Override
    public void restore(KnownVersion version) {
        setEnabled(version.ref(), true);
    }

    @Override
    public String restoreCommand(KnownVersion version) {
        return restoreCommand(settings, version.ref().version());
    }

    @Override
    public String describeRetire() {
        return "set enabled=false on that version in Key Vault (reversible; nothing is deleted)";
    }

    private void setEnabled(KeyRef ref, boolean enabled) {
        CallContext call = CallContext.internal("keyvault-retire-version", BUDGET);
        String target = "key " + ref;
        // The SDK updates the version that the properties name; they come from that version, so nothing else changes.
        KeyVaultKey key = retries.run(Operation.GET, target, call, timeout ->
                keys.getKey(ref.name(), ref.version()).timeout(timeout).block());
        KeyProperties properties = key.getProperties().setEnabled(enabled);
        KeyVaultKey updated = retries.run(Operation.UPDATE, target, call, timeout ->
                keys.updateKeyProperties(properties).timeout(timeout).block());
        if (!Boolean.valueOf(enabled).equals(updated.getProperties().isEnabled())
                || !ref.version().equals(updated.getProperties().getVersion())) {
            throw new KmsException.IntegrityFailure("Key Vault answered the update of " + target + " with version "
                    + updated.getProperties().getVersion() + ", enabled=" + updated.getProperties().isEnabled()
                    + "; expected enabled=" + enabled);
        }
    }
}
