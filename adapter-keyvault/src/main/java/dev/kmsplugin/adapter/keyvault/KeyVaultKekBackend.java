package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Data keys wrapped with RSA-OAEP-256 by an RSA key in Azure Key Vault or Managed HSM: by default locally with the
 * current version's public key (no Key Vault call per Encrypt), with --wrap=remote by Key Vault's wrapKey; unwrap is
 * always Key Vault's. Every version that ever
 * wrapped stays usable, because each ciphertext names its version. Which version is current is
 * {@link CurrentVersion}'s job, the Key Vault calls {@link KeyVaultCrypto}'s; what the Go plugin
 * Azure/kubernetes-kms stored is read by {@link GoPluginCiphertexts}. The constructor builds; {@link #start()} does
 * the I/O, probes and schedules.
 */
public final class KeyVaultKekBackend implements KeyEncryptionKeys {

    private static final Logger LOG = System.getLogger(KeyVaultKekBackend.class.getName());

    private final KeyVaultSettings settings;
    private final KeyVaultConnection connection;
    private final VaultAddress address;
    private final KeyVaultCrypto crypto;
    private final CurrentVersion current;

    KeyVaultKekBackend(KeyVaultSettings settings, KeyVaultConnection connection, Telemetry telemetry, Clock clock) {
        this.settings = settings;
        this.connection = connection;
        this.address = connection.address;
        RetryLoop retries = new RetryLoop(settings, telemetry, clock, connection::forgetTokens);
        RetryLoop.expectRetries(telemetry);
        this.crypto = new KeyVaultCrypto(connection, retries, this::target);
        this.current = new CurrentVersion(settings, connection, crypto, retries, telemetry, clock);
    }

    /** Verifies the key and permissions, resolves the current version, and starts the background work. */
    void start() {
        LOG.log(Level.INFO, "Key Vault backend: vault {0}{1}, key {2} ({3}), credential: {4}",
                address.canonicalUrl(), address.overridden() ? " via " + address.serviceUrl() : "",
                settings.keyName(), settings.keyVersion().map(v -> "version " + v).orElse("versionless"),
                connection.choice.description());
        if (settings.proxyMode()) {
            LOG.log(Level.WARNING, "proxy mode: Key Vault and Entra ID traffic, tokens and data keys included, goes "
                    + "in clear text to http://{0}:{1}; keep that proxy on this node", settings.proxyAddress(),
                    String.valueOf(settings.proxyPort()));
        }
        current.start();
    }

    @Override
    public String describe() {
        return describe(address, settings);
    }

    // A version other than the current one may have been retired: Key Vault's "disabled" then means exactly that.
    // Until start-up resolved the current version, every version counts as current.
    private KeyVaultErrors.Target target(KeyRef key) {
        KeyRef now = current == null ? null : current.ref();
        return now == null || now.equals(key) ? KeyVaultErrors.Target.of("key " + key)
                : new KeyVaultErrors.Target("key " + key,
                        java.util.Optional.of(KeyVaultVersionSwitch.restoreCommand(settings, key.version())));
    }

    /** The vault and key, never anything secret. */
    static String describe(VaultAddress address, KeyVaultSettings settings) {
        return "Azure " + (address.managedHsm() ? "Managed HSM " : "Key Vault ") + address.canonicalUrl() + " key "
                + settings.keyName() + (settings.versionless() ? " (versionless)" : "");
    }

    @Override
    public KeyVersion current() {
        return current.get();
    }

    @Override
    public KeyId keyId(KeyRef key) {
        return address.keyId(key);
    }

    @Override
    public byte[] wrap(KeyVersion version, Plaintext dataKey, byte[] header, CallContext call) {
        KeyRef key = version.ref();
        byte[] clear = dataKey.bytes();
        try {
            return current.wrap(key, clear, call);
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    public Plaintext unwrap(SealedDataKey sealed, Consumer<KeyVersion> admit, CallContext call) {
        KeyRef key = sealed.key();
        KeyVersion now = current.get();
        admit.accept(now.ref().equals(key) ? now : new KeyVersion(key, address.keyId(key), now.algorithm()));
        if (!key.name().equals(settings.keyName())) {
            throw new KmsException.UnknownKeyVersion("ciphertext was wrapped by key '" + key.name()
                    + "', but this plugin is configured with key '" + settings.keyName() + "'");
        }
        byte[] clear = current.unwrap(key, sealed.wrapped(), call);
        try {
            return new Plaintext(clear);
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    public Health health() {
        return current.health();
    }

    @Override
    public void close() {
        current.stop();
    }

    void probe() {
        current.probe();
    }

    void refresh() {
        current.refresh();
    }

    /** SDK clients held for key versions (bounded by {@link KeyVaultCrypto#MAX_CLIENTS}). */
    int sdkClients() {
        return crypto.clientCount();
    }

    /** The reader of the Go plugin's ciphertexts, over this backend's settings, crypto and versions. */
    GoPluginCiphertexts goPluginReader() {
        return new GoPluginCiphertexts(settings, crypto, address, current::ref);
    }

    /** The version new data keys are wrapped with, or null before start-up resolved it. */
    KeyRef currentRef() {
        return current.ref();
    }
}
