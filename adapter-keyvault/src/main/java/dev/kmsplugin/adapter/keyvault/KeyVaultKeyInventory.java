package dev.kmsplugin.adapter.keyvault;

import com.azure.core.http.HttpClient;
import com.azure.security.keyvault.keys.KeyAsyncClient;
import com.azure.security.keyvault.keys.models.KeyProperties;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Every version of the configured key as Key Vault lists it, read once when made: for operator commands such as
 * {@code storage audit}. The version marked current is the one serving would wrap with (the pinned
 * {@code --key-version}, else {@link KeyChecks#versionlessCurrent}). Unlike {@link KeyVaultKekBackend#start()} it
 * makes no wrap/unwrap round trip and schedules no probe or refresh: it starts no thread, and the SDK clients it
 * builds have nothing to close.
 */
final class KeyVaultKeyInventory implements KeyInventory {

    private final String description;
    private final List<KnownVersion> versions;

    private KeyVaultKeyInventory(String description, List<KnownVersion> versions) {
        this.description = description;
        this.versions = versions;
    }

    /**
     * Lists the key's versions (permission {@code list}); the listing alone says which one is current, with the
     * same rule serving uses.
     */
    static KeyVaultKeyInventory read(KeyVaultSettings settings, Map<String, String> env, HttpClient http,
                                     Telemetry telemetry, Clock clock) {
        KeyVaultConnection connection = KeyVaultConnection.open(settings, env, http);
        VaultAddress address = connection.address;
        KeyAsyncClient keys = connection.keys();
        RetryLoop retries = new RetryLoop(settings, telemetry, clock, connection::forgetTokens);
        KeyChecks checks = new KeyChecks(clock, address);
        CallContext call = CallContext.internal("key-inventory", settings.startupTimeout());
        String name = settings.keyName();

        List<KeyProperties> listed;
        try {
            listed = retries.run(Operation.LIST, "the versions of key " + name, call,
                    timeout -> keys.listPropertiesOfKeyVersions(name).collectList().timeout(timeout).block());
        } catch (KmsException.UnknownKeyVersion e) {
            throw missing(name, address, e);
        }
        if (listed.isEmpty()) {
            throw missing(name, address, null);
        }

        String current;
        if (settings.keyVersion().isPresent()) {
            current = settings.keyVersion().get();
            if (listed.stream().noneMatch(p -> current.equals(p.getVersion()))) {
                throw new KmsException.Misconfigured(KeyVaultBackendProvider.flag("key-version") + " " + current
                        + " is not a version of key " + name
                        + " in " + address.canonicalUrl() + " (it has " + listed.size() + " versions); set the "
                        + "version serving uses, or leave it empty for versionless mode");
            }
        } else {
            current = checks.versionlessCurrent(name, listed).getVersion();
        }

        List<KnownVersion> versions = listed.stream()
                .sorted(Comparator.comparing((KeyProperties p) -> Optional.ofNullable(p.getCreatedOn())
                        .orElse(OffsetDateTime.MIN)).thenComparing(KeyProperties::getVersion))
                .map(p -> {
                    KeyRef ref = new KeyRef(name, p.getVersion());
                    State state = current.equals(p.getVersion()) ? State.CURRENT
                            : Boolean.TRUE.equals(p.isEnabled()) ? State.ENABLED : State.DISABLED;
                    return new KnownVersion(ref, address.keyId(ref), state, currentSince(p));
                })
                .toList();
        return new KeyVaultKeyInventory(KeyVaultKekBackend.describe(address, settings), versions);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public List<KnownVersion> versions() {
        return versions;
    }

    // The earliest instant the version could wrap: Key Vault's max(created, notBefore).
    private static Optional<Instant> currentSince(KeyProperties p) {
        return Stream.of(p.getCreatedOn(), p.getNotBefore())
                .filter(java.util.Objects::nonNull)
                .map(OffsetDateTime::toInstant)
                .max(Comparator.naturalOrder());
    }

    private static KmsException missing(String name, VaultAddress address, Throwable cause) {
        String message = "key '" + name + "' does not exist in " + address.canonicalUrl() + ": check "
                + KeyVaultBackendProvider.flag("vault-name") + " and " + KeyVaultBackendProvider.flag("key-name")
                + " (they must be those serving uses), or create the key with 'kms-plugin keyvault create-key'";
        return cause == null ? new KmsException.Misconfigured(message) : new KmsException.Misconfigured(message, cause);
    }
}
