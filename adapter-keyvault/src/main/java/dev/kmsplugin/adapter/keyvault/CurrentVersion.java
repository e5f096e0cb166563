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
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Which key version wraps new data keys, and whether the backend is healthy: resolved at start, re-read every
 * refresh interval in versionless mode, and proven by a wrap+unwrap round trip at start, on every probe, and
 * before a new version becomes current. With --wrap=local the round trip wraps with {@link LocalWrap} and unwraps
 * in Key Vault.
 *
 * <p>Health follows one rule: a failed probe (or version refresh refused for lack of access) makes it fail at once;
 * live calls only after {@link #FAILED_CALLS} consecutive failures of the current version (access denied, version
 * disabled or gone), so one rejected call never changes it; any successful Key Vault call with the current version,
 * live or probe, makes it healthy again.
 */
final class CurrentVersion {

    /** Consecutive failed live calls of the current version that make the backend unhealthy. */
    static final int FAILED_CALLS = 3;

    /**
     * How long a version's key bundle, once read and checked, stands for it while the listing keeps choosing it: a
     * version's key material never changes, and the listing carries its enabled flag and validity window; the
     * bundle is read again after this to see changed key operations.
     */
    static final Duration BUNDLE_REREAD = Duration.ofHours(1);

    private static final Logger LOG = System.getLogger(CurrentVersion.class.getName());

    private final KeyVaultSettings settings;
    private final VaultAddress address;
    private final KeyAsyncClient keys;
    private final KeyVaultCrypto crypto;
    private final RetryLoop retries;
    private final KeyChecks checks;
    private final Telemetry telemetry;
    private final HealthTracker health;
    private final Clock clock;
    private final ScheduledExecutorService background;
    private final SecureRandom random = new SecureRandom();
    private final LocalWrap local;
    private final AtomicBoolean refreshPending = new AtomicBoolean();
    private final AtomicInteger failedCalls = new AtomicInteger();
    private volatile KeyVersion current;
    private volatile Checked checked;

    /** The version whose key bundle was read and checked last, and when. */
    private record Checked(KeyRef ref, Instant at) {
    }

    CurrentVersion(KeyVaultSettings settings, KeyVaultConnection connection, KeyVaultCrypto crypto,
                   RetryLoop retries, Telemetry telemetry, Clock clock) {
        this.settings = settings;
        this.address = connection.address;
        this.keys = connection.keys();
        this.crypto = crypto;
        this.retries = retries;
        this.checks = new KeyChecks(clock, address);
        this.local = new LocalWrap(clock, address);
        this.telemetry = telemetry;
        this.clock = clock;
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
        telemetry.currentKeyChanged(resolved.keyId(), createdOn(resolved));
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

    /**
     * Wraps a data key with {@code key}: locally with its public key (--wrap=local, no Key Vault call) or by Key
     * Vault's wrapKey (--wrap=remote). A local wrap refused because the version is no longer usable (expired, not
     * yet valid, disabled) asks for a refresh at once, which in versionless mode moves to the newest usable version.
     */
    byte[] wrap(KeyRef key, byte[] clear, CallContext call) {
        if (settings.wrap() == KeyVaultSettings.WrapMode.REMOTE) {
            return watch(key, () -> crypto.wrap(key, clear, call));
        }
        try {
            return watch(key, false, () -> local.wrap(key, clear));
        } catch (KmsException.AccessDenied e) {
            refreshSoon();
            throw e;
        }
    }

    // One refresh at a time in the background; pinned mode has no other version to move to.
    private void refreshSoon() {
        if (settings.versionless() && current != null && refreshPending.compareAndSet(false, true)) {
            try {
                background.execute(() -> {
                    try {
                        refresh();
                    } finally {
                        refreshPending.set(false);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                refreshPending.set(false);
            }
        }
    }

    /** Runs a Key Vault operation with {@code key} and lets its outcome count for health. */
    <T> T watch(KeyRef key, Supplier<T> work) {
        return watch(key, true, work);
    }

    /**
     * Runs a key operation. With the current version, a success in Key Vault ({@code inVault}; a local wrap proves
     * nothing about the vault) makes the backend healthy; {@link #FAILED_CALLS} consecutive hard failures (a revoked
     * permission or token, a disabled or deleted version) make it unhealthy without waiting for the probe.
     */
    <T> T watch(KeyRef key, boolean inVault, Supplier<T> work) {
        try {
            T result = work.get();
            if (inVault && isCurrent(key)) {
                failedCalls.set(0);
                health.succeeded();
            }
            return result;
        } catch (KmsException.AccessDenied | KmsException.UnknownKeyVersion e) {
            if (e.getMessage() != null && e.getMessage().contains("is disabled in Key Vault")) {
                // Key Vault refused the version as disabled: never wrap with it locally until a read says otherwise.
                local.disabled(key);
            }
            if (isCurrent(key) && failedCalls.incrementAndGet() >= FAILED_CALLS) {
                health.failed(e);
            }
            throw e;
        }
    }

    private boolean isCurrent(KeyRef key) {
        KeyVersion now = current;
        return now != null && key.equals(now.ref());
    }

    void probe() {
        try {
            verifyRoundTrip(get(), CallContext.internal("health-probe", Duration.ofSeconds(10)));
            failedCalls.set(0);
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
                // The round trip the probe makes has just passed with the new current version.
                health.succeeded();
                telemetry.currentKeyChanged(resolved.keyId(), createdOn(resolved));
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
            if (ref.equals(ref()) && last != null && last.ref().equals(ref)
                    && clock.instant().isBefore(last.at().plus(BUNDLE_REREAD))) {
                // Still the current version: the listing's attributes are enough, one request per refresh.
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

    // Local wrap takes the public key and attributes from the bundle just read and checked.
    private void remember(KeyRef ref, KeyVaultKey key) {
        noteCreated(ref, key);
        if (settings.wrap() == KeyVaultSettings.WrapMode.LOCAL) {
            local.remember(ref, key);
        }
        checked = new Checked(ref, clock.instant());
    }

    private KeyVaultKey getKey(KeyRef ref, CallContext call) {
        return retries.run(Operation.GET, "key " + ref, call, timeout ->
                keys.getKey(ref.name(), ref.version()).timeout(timeout).block());
    }

    private void verifyRoundTrip(KeyVersion key, CallContext call) {
        byte[] sample = new byte[32];
        random.nextBytes(sample);
        // With --wrap=local: wrapped here, unwrapped by Key Vault, so every probe proves the two agree.
        byte[] wrapped = wrap(key.ref(), sample, call);
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

    // ----- When the resolved version was created, for the key age metric -----

    /** The creation time Key Vault gave for a version just resolved, or null. */
    private record Created(KeyRef ref, java.time.Instant at) {
    }

    private volatile Created created;

    // Every resolution reads the version's bundle, whose attributes carry its creation time.
    private void noteCreated(KeyRef ref, KeyVaultKey key) {
        java.time.OffsetDateTime on = key == null || key.getProperties() == null ? null
                : key.getProperties().getCreatedOn();
        created = new Created(ref, on == null ? null : on.toInstant());
    }

    /** When {@code version} was created, if it is the version resolved last and Key Vault said; else null. */
    private java.time.Instant createdOn(KeyVersion version) {
        Created last = created;
        return last != null && last.ref().equals(version.ref()) ? last.at() : null;
    }
}
