package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.KeyAsyncClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyAsyncClient;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import com.azure.security.keyvault.keys.models.JsonWebKey;
import com.azure.security.keyvault.keys.models.KeyOperation;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.kmsplugin.adapter.keyvault.Resilience.Operation;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.health.HealthTracker;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Data keys wrapped with RSA-OAEP-256 by an RSA key in Azure Key Vault or Managed HSM. Every version that ever
 * wrapped stays usable, because each ciphertext names its version. What the Go plugin Azure/kubernetes-kms stored
 * is read by {@link GoPluginCiphertexts}.
 */
public final class KeyVaultKekBackend implements KeyEncryptionKeys {

    private static final Logger LOG = System.getLogger(KeyVaultKekBackend.class.getName());

    private static final int MIN_RSA_BITS = 2048;

    private final KeyVaultSettings settings;
    private final VaultAddress address;
    private final KeyVaultConnection connection;
    private final Credentials.Choice credentialChoice;
    private final Telemetry telemetry;
    private final Resilience resilience;
    private final HealthTracker health;
    private final KeyAsyncClient keys;
    private final Map<String, CryptographyAsyncClient> crypto = new ConcurrentHashMap<>();
    private final ScheduledExecutorService background;
    private final SecureRandom random = new SecureRandom();
    private volatile KeyVersion current;

    KeyVaultKekBackend(KeyVaultSettings settings, KeyVaultConnection connection, Telemetry telemetry, Clock clock) {
        this.settings = settings;
        this.connection = connection;
        this.address = connection.address;
        this.credentialChoice = connection.choice;
        this.telemetry = telemetry;
        this.resilience = new Resilience(settings, telemetry);
        this.health = new HealthTracker(settings.healthGrace(), clock);
        this.keys = connection.keys();
        this.background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "keyvault-background");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Verifies the key and permissions, resolves the current version, and starts the background work. */
    void start() {
        LOG.log(Level.INFO, "Key Vault backend: vault {0}{1}, key {2} ({3}), credential: {4}",
                address.canonicalUrl(), address.overridden() ? " via " + address.serviceUrl() : "",
                settings.keyName(), settings.keyVersion().map(v -> "version " + v).orElse("versionless"),
                credentialChoice.description());
        if (settings.proxyMode()) {
            LOG.log(Level.INFO, "proxy mode: Key Vault and Entra ID traffic goes through http://{0}:{1}",
                    settings.proxyAddress(), String.valueOf(settings.proxyPort()));
        }
        CallContext call = CallContext.internal("startup-verification", settings.startupTimeout());
        KeyVersion resolved = version(resolveCurrent(call));
        verifyRoundTrip(resolved, call);
        current = resolved;
        health.succeeded();
        telemetry.currentKeyChanged(resolved.keyId());
        LOG.log(Level.INFO, "current key version {0}", resolved);
        long probe = settings.probeInterval().toMillis();
        background.scheduleWithFixedDelay(this::probe, probe, probe, TimeUnit.MILLISECONDS);
        if (settings.versionless()) {
            long refresh = settings.refreshInterval().toMillis();
            background.scheduleWithFixedDelay(this::refresh, refresh, refresh, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public String describe() {
        return "Azure " + (address.managedHsm() ? "Managed HSM " : "Key Vault ") + address.canonicalUrl() + " key "
                + settings.keyName() + (settings.versionless() ? " (versionless)" : "");
    }

    @Override
    public KeyVersion current() {
        KeyVersion key = current;
        if (key == null) {
            throw new KmsException.BackendUnavailable("the Key Vault backend has not resolved its key version yet");
        }
        return key;
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
            return observe(key, () -> resilience.run(op("wrapKey", key), call, timeout ->
                    client(key).wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, clear).timeout(timeout).block()
                            .getEncryptedKey()));
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    public Plaintext unwrap(SealedDataKey sealed, CallContext call) {
        KeyRef key = sealed.key();
        byte[] wrapped = sealed.wrapped();
        if (sealed.algorithm() != Algorithm.RSA_OAEP_256) {
            throw new KmsException.InvalidInput("ciphertext was wrapped with " + sealed.algorithm()
                    + ", which the Key Vault backend does not use; was it written by another backend?");
        }
        if (!key.name().equals(settings.keyName())) {
            throw new KmsException.UnknownKeyVersion("ciphertext was wrapped by key '" + key.name()
                    + "', but this plugin is configured with key '" + settings.keyName() + "'");
        }
        byte[] clear = observe(key, () -> resilience.run(op("unwrapKey", key), call, timeout ->
                client(key).unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped).timeout(timeout).block().getKey()));
        try {
            return new Plaintext(clear);
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    public Health health() {
        return health.current();
    }

    @Override
    public void close() {
        background.shutdownNow();
    }

    // --- current version --------------------------------------------------------------------------------------

    private KeyRef resolveCurrent(CallContext call) {
        String name = settings.keyName();
        if (settings.keyVersion().isPresent()) {
            KeyRef pinned = new KeyRef(name, settings.keyVersion().get());
            KeyVaultKey key = getKey(pinned, call);
            verifyKey(key, pinned);
            return pinned;
        }
        KeyVaultKey latest = resilience.run(op("get", "key " + name), call, timeout ->
                keys.getKey(name).timeout(timeout).block());
        KeyProperties properties = latest.getProperties();
        if (usable(properties)) {
            KeyRef ref = new KeyRef(name, properties.getVersion());
            verifyKey(latest, ref);
            return ref;
        }
        // The newest version is disabled or not yet/no longer valid: pick the newest usable one (needs 'list').
        List<KeyProperties> versions = resilience.run(op("list", "the versions of key " + name), call,
                timeout -> keys.listPropertiesOfKeyVersions(name).collectList().timeout(timeout).block());
        KeyProperties newest = versions.stream().filter(this::usable)
                .max(Comparator.comparing(p -> Optional.ofNullable(p.getCreatedOn()).orElse(OffsetDateTime.MIN)))
                .orElseThrow(() -> new KmsException.Misconfigured("key " + name + " in " + address.canonicalUrl()
                        + " has no enabled version; enable one or create a new version"));
        KeyRef ref = new KeyRef(name, newest.getVersion());
        verifyKey(getKey(ref, call), ref);
        return ref;
    }

    private boolean usable(KeyProperties properties) {
        OffsetDateTime now = OffsetDateTime.now();
        return Boolean.TRUE.equals(properties.isEnabled())
                && (properties.getExpiresOn() == null || properties.getExpiresOn().isAfter(now))
                && (properties.getNotBefore() == null || !properties.getNotBefore().isAfter(now));
    }

    private KeyVaultKey getKey(KeyRef ref, CallContext call) {
        return resilience.run(op("get", ref), call, timeout ->
                keys.getKey(ref.name(), ref.version()).timeout(timeout).block());
    }

    private void verifyKey(KeyVaultKey key, KeyRef ref) {
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
    }

    private void verifyRoundTrip(KeyVersion key, CallContext call) {
        byte[] sample = new byte[32];
        random.nextBytes(sample);
        Plaintext probe = new Plaintext(sample);
        byte[] wrapped = wrap(key, probe, new byte[0], call);
        Plaintext back = unwrap(new SealedDataKey(key.algorithm(), key.ref(), wrapped), call);
        if (!Arrays.equals(back.bytes(), sample)) {
            throw new KmsException.IntegrityFailure("a wrap/unwrap round trip with " + key
                    + " returned different bytes; the vault is not behaving as Key Vault does");
        }
        back.wipe();
        probe.wipe();
        Arrays.fill(sample, (byte) 0);
    }

    // --- background ---------------------------------------------------------------------------------------------

    void probe() {
        try {
            verifyRoundTrip(current(), CallContext.internal("health-probe", Duration.ofSeconds(10)));
            health.succeeded();
        } catch (KmsException e) {
            health.failed(e);
            LOG.log(Level.WARNING, "Key Vault health probe failed: {0}", e.getMessage());
        } catch (RuntimeException e) {
            health.failed(new KmsException.BackendUnavailable("health probe failed: " + e));
            LOG.log(Level.WARNING, "Key Vault health probe failed", e);
        }
    }

    void refresh() {
        try {
            KeyVersion resolved = version(resolveCurrent(CallContext.internal("version-refresh",
                    settings.startupTimeout())));
            KeyVersion previous = current;
            if (!resolved.equals(previous)) {
                verifyRoundTrip(resolved, CallContext.internal("version-refresh", settings.startupTimeout()));
                current = resolved;
                telemetry.currentKeyChanged(resolved.keyId());
                LOG.log(Level.INFO, "current key version changed from {0} to {1}", previous, resolved);
            }
        } catch (KmsException e) {
            LOG.log(Level.WARNING, "could not re-read the current key version, keeping {0}: {1}", current,
                    e.getMessage());
            if (e instanceof KmsException.AccessDenied) {
                health.failed(e);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not re-read the current key version", e);
        }
    }

    // --- plumbing -----------------------------------------------------------------------------------------------

    private <T> T observe(KeyRef key, java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (KmsException.AccessDenied | KmsException.UnknownKeyVersion e) {
            KeyVersion now = current;
            if (now != null && key.equals(now.ref())) {
                // Revoked permission or a deleted/disabled current version: Status must say so now, not in a minute.
                health.failed(e);
            }
            throw e;
        }
    }

    private KeyVersion version(KeyRef ref) {
        return new KeyVersion(ref, address.keyId(ref), Algorithm.RSA_OAEP_256);
    }

    KeyVaultSettings settings() {
        return settings;
    }

    Resilience resilience() {
        return resilience;
    }

    /** The version new data keys are wrapped with, or null before start-up resolved it. */
    KeyRef currentRef() {
        KeyVersion now = current;
        return now == null ? null : now.ref();
    }

    CryptographyAsyncClient client(KeyRef key) {
        return crypto.computeIfAbsent(key.version(), version -> connection.crypto(key));
    }

    private static Operation op(String name, KeyRef key) {
        return new Operation(name, name, "key " + key);
    }

    private static Operation op(String name, String target) {
        return new Operation(name, name, target);
    }
}
