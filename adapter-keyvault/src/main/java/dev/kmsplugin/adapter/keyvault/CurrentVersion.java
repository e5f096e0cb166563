package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.health.HealthTracker;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.outbound.BackgroundWork;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
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

    private static final Logger LOG = System.getLogger(CurrentVersion.class.getName());

    private final KeyVaultSettings settings;
    private final VaultAddress address;
    private final KeyVaultCrypto crypto;
    private final VersionResolver resolver;
    private final Telemetry telemetry;
    private final HealthTracker health;
    private final BackgroundWork background;
    private final SecureRandom random = new SecureRandom();
    private final LocalWrap local;
    private final AtomicInteger failedCalls = new AtomicInteger();
    private volatile KeyVersion current;

    CurrentVersion(KeyVaultSettings settings, KeyVaultConnection connection, KeyVaultCrypto crypto,
                   RetryLoop retries, Telemetry telemetry, Clock clock) {
        this.settings = settings;
        this.address = connection.address;
        this.crypto = crypto;
        this.local = new LocalWrap(clock, address);
        this.resolver = new VersionResolver(settings, connection.keys(), retries, new KeyChecks(clock, address),
                local, clock);
        this.telemetry = telemetry;
        this.health = new HealthTracker(settings.healthGrace(), clock);
        this.background = new BackgroundWork("keyvault-background", telemetry);
    }

    /** Resolves and verifies the current version, then schedules the probe and (versionless) the refresh. */
    void start() {
        CallContext call = CallContext.internal("startup-verification", settings.startupTimeout());
        KeyVersion resolved = version(resolver.resolve(call, null));
        verifyRoundTrip(resolved, call);
        current = resolved;
        health.succeeded();
        telemetry.currentKeyChanged(resolved.keyId(), resolver.createdOn(resolved.ref()));
        LOG.log(Level.INFO, "current key version {0}", resolved);
        background.every(settings.probeInterval(), "probe", this::roundTrip, this::probeFailed);
        if (settings.versionless()) {
            background.every(settings.refreshInterval(), "refresh", this::reread, this::refreshFailed);
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
        background.close();
    }

    /**
     * Wraps a data key with {@code key}: locally with its public key (--wrap=local, no Key Vault call) or by Key
     * Vault's wrapKey (--wrap=remote). A local wrap refused because the version is no longer usable (expired, not
     * yet valid, disabled) asks for a refresh at once, which in versionless mode moves to the newest usable version.
     */
    byte[] wrap(KeyRef key, byte[] clear, CallContext call) {
        if (settings.wrap() == KeyVaultSettings.WrapMode.REMOTE) {
            return watch(key, true, () -> crypto.wrap(key, clear, call));
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
        if (settings.versionless() && current != null) {
            background.soon("refresh", this::reread, this::refreshFailed);
        }
    }

    /** Unwraps in Key Vault with {@code key}; the outcome counts for health (see {@link #watch}). */
    byte[] unwrap(KeyRef key, byte[] wrapped, CallContext call) {
        return watch(key, true, () -> crypto.unwrap(key, wrapped, call));
    }

    /**
     * Runs a key operation. With the current version, a success in Key Vault ({@code inVault}; a local wrap proves
     * nothing about the vault) makes the backend healthy; {@link #FAILED_CALLS} consecutive hard failures (a revoked
     * permission or token, a disabled or deleted version) make it unhealthy without waiting for the probe.
     */
    private <T> T watch(KeyRef key, boolean inVault, Supplier<T> work) {
        try {
            T result = work.get();
            if (inVault && isCurrent(key)) {
                failedCalls.set(0);
                health.succeeded();
            }
            return result;
        } catch (KmsException.AccessDenied | KmsException.UnknownKeyVersion e) {
            if (KeyVaultErrors.saysDisabled(e)) {
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

    /** The wrap (local or remote) and unwrap round trip that feeds health; the background runs it every interval. */
    void probe() {
        background.run("probe", this::roundTrip, this::probeFailed);
    }

    /** Re-reads which version is current (versionless mode); the background runs it every refresh interval. */
    void refresh() {
        background.run("refresh", this::reread, this::refreshFailed);
    }

    private void roundTrip() {
        verifyRoundTrip(get(), CallContext.internal("health-probe", Duration.ofSeconds(10)));
        failedCalls.set(0);
        health.succeeded();
    }

    private void probeFailed(KmsException e) {
        health.failed(e);
        LOG.log(Level.WARNING, "Key Vault health probe failed: {0}", e.getMessage());
    }

    private void reread() {
        KeyVersion resolved = version(resolver.resolve(
                CallContext.internal("version-refresh", settings.startupTimeout()), ref()));
        KeyVersion previous = current;
        if (!resolved.equals(previous)) {
            verifyRoundTrip(resolved, CallContext.internal("version-refresh", settings.startupTimeout()));
            current = resolved;
            // The round trip the probe makes has just passed with the new current version.
            health.succeeded();
            telemetry.currentKeyChanged(resolved.keyId(), resolver.createdOn(resolved.ref()));
            LOG.log(Level.INFO, "current key version changed from {0} to {1}", previous, resolved);
        }
    }

    private void refreshFailed(KmsException e) {
        LOG.log(Level.WARNING, "could not re-read the current key version, keeping {0}: {1}", current,
                e.getMessage());
        if (e instanceof KmsException.AccessDenied) {
            health.failed(e);
        }
    }

    private void verifyRoundTrip(KeyVersion key, CallContext call) {
        byte[] sample = new byte[32];
        random.nextBytes(sample);
        // With --wrap=local: wrapped here, unwrapped by Key Vault, so every probe proves the two agree.
        byte[] wrapped = wrap(key.ref(), sample, call);
        byte[] back = unwrap(key.ref(), wrapped, call);
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
