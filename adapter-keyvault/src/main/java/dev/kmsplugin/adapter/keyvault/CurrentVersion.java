package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.KeyAsyncClient;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.health.HealthTracker;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Which key version wraps new data keys, and whether the backend is healthy: resolved at start, re-read every
 * refresh interval in versionless mode, and proven by a wrap+unwrap round trip at start, on every probe, and
 * before a new version becomes current.
 */
final class CurrentVersion {

    private static final Logger LOG = System.getLogger(CurrentVersion.class.getName());

    private final KeyVaultSettings settings;
    private final VaultAddress address;
    private final KeyAsyncClient keys;
    private final KeyVaultCrypto crypto;
    private final RetryLoop retries;
    private final KeyChecks checks;
    private final Telemetry telemetry;
    private final HealthTracker health;
    private final ScheduledExecutorService background;
    private final SecureRandom random = new SecureRandom();
    private volatile KeyVersion current;

    CurrentVersion(KeyVaultSettings settings, KeyVaultConnection connection, KeyVaultCrypto crypto,
                   RetryLoop retries, Telemetry telemetry, Clock clock) {
        this.settings = settings;
        this.address = connection.address;
        this.keys = connection.keys();
        this.crypto = crypto;
        this.retries = retries;
        this.checks = new KeyChecks(clock, address);
        this.telemetry = telemetry;
        this.health = new HealthTracker(settings.healthGrace(), clock);
        this.background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "keyvault-background");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Resolves and verifies the current version, then schedules the probe and (versionless) the refresh. */
    void start() {
        CallContext call = CallContext.internal("startup-verification", settings.startupTimeout());
        KeyVersion resolved = version(resolve(call));
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

    KeyVersion get() {
        KeyVersion key = current;
        if (key == null) {
            throw new KmsException.BackendUnavailable("the Key Vault backend has not resolved its key version yet");
        }
        return key;
    }

    /** The version new data keys are wrapped with, or null before start-up resolved it. */
    KeyRef ref() {
        KeyVersion now = current;
        return now == null ? null : now.ref();
    }

    Health health() {
        return health.current();
    }

    void stop() {
        background.shutdownNow();
    }

    /** Runs a key operation; a revoked permission or a deleted current version turns Status now, not in a minute. */
    <T> T watch(KeyRef key, Supplier<T> work) {
        try {
            return work.get();
        } catch (KmsException.AccessDenied | KmsException.UnknownKeyVersion e) {
            KeyVersion now = current;
            if (now != null && key.equals(now.ref())) {
                health.failed(e);
            }
            throw e;
        }
    }

    void probe() {
        try {
            verifyRoundTrip(get(), CallContext.internal("health-probe", Duration.ofSeconds(10)));
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
            KeyVersion resolved = version(resolve(CallContext.internal("version-refresh",
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

    private KeyRef resolve(CallContext call) {
        String name = settings.keyName();
        if (settings.keyVersion().isPresent()) {
            KeyRef pinned = new KeyRef(name, settings.keyVersion().get());
            checks.verify(getKey(pinned, call), pinned);
            return pinned;
        }
        KeyVaultKey latest = retries.run(Operation.GET, "key " + name, call, timeout ->
                keys.getKey(name).timeout(timeout).block());
        // When the newest version is disabled or not yet/no longer valid, the rule lists the versions (needs 'list').
        KeyProperties chosen = checks.versionlessCurrent(name, latest.getProperties(), () ->
                retries.run(Operation.LIST, "the versions of key " + name, call,
                        timeout -> keys.listPropertiesOfKeyVersions(name).collectList().timeout(timeout).block()));
        KeyRef ref = new KeyRef(name, chosen.getVersion());
        checks.verify(ref.version().equals(latest.getProperties().getVersion()) ? latest : getKey(ref, call), ref);
        return ref;
    }

    private KeyVaultKey getKey(KeyRef ref, CallContext call) {
        return retries.run(Operation.GET, "key " + ref, call, timeout ->
                keys.getKey(ref.name(), ref.version()).timeout(timeout).block());
    }

    private void verifyRoundTrip(KeyVersion key, CallContext call) {
        byte[] sample = new byte[32];
        random.nextBytes(sample);
        byte[] wrapped = watch(key.ref(), () -> crypto.wrap(key.ref(), sample, call));
        byte[] back = watch(key.ref(), () -> crypto.unwrap(key.ref(), wrapped, call));
        try {
            if (!Arrays.equals(back, sample)) {
                throw new KmsException.IntegrityFailure("a wrap/unwrap round trip with " + key
                        + " returned different bytes; the vault is not behaving as Key Vault does");
            }
        } finally {
            Arrays.fill(back, (byte) 0);
            Arrays.fill(sample, (byte) 0);
        }
    }

    private KeyVersion version(KeyRef ref) {
        return new KeyVersion(ref, address.keyId(ref), Algorithm.RSA_OAEP_256);
    }
}
