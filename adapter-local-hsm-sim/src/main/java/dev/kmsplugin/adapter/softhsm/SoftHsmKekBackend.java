package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
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
import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The simulator's key-encryption key: AES-256-GCM inside a SoftHSM2 token, one token object per key version. The
 * wrapped key is {@code IV (12) || ciphertext || tag (16)} with the ciphertext header as AAD.
 *
 * <p>The version index and the health state live in memory and are refreshed in the background, so
 * {@link #current()}, {@link #keyId(KeyRef)} and {@link #health()} never touch the token. The constructor only
 * builds; {@link #start()} reads the token, probes it and schedules the background work.
 */
final class SoftHsmKekBackend implements KeyEncryptionKeys {

    private static final Logger LOG = System.getLogger(SoftHsmKekBackend.class.getName());
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final long MIN_ON_DEMAND_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Duration MIN_REOPEN_INTERVAL = Duration.ofSeconds(1);

    /** One version as the token stores it, as the core sees it, and its key object. */
    private record Version(VersionLabel label, KeyVersion version, SecretKey key) {
    }

    /**
     * The versions known to this process by version number, the current one, and the retired ones; replaced whole
     * on refresh.
     */
    private record Index(Map<String, Version> versions, Version current, Set<String> retired) {
    }

    private final SimSettings settings;
    private final SoftHsmToken token;
    private final Telemetry telemetry;
    private final HealthTracker health;
    private final SecureRandom random = new SecureRandom();
    private final ThreadLocal<Cipher> ciphers;
    private final ScheduledExecutorService background;
    private volatile Index index;
    private volatile long lastRefreshNanos = System.nanoTime();
    private final Clock clock;
    // Serialises the index's replacement: a refresh that began before a re-open must not put dead keys back.
    private final Object indexLock = new Object();
    private Instant lastReopen;
    // Set when the token's session was gone and opening it again failed; health is failed until a re-open works.
    private volatile KmsException lost;

    /** A token operation that may find the session gone. */
    @FunctionalInterface
    private interface TokenOperation<T> {
        T run() throws GeneralSecurityException;
    }

    SoftHsmKekBackend(SimSettings settings, SoftHsmToken token, Telemetry telemetry, Clock clock) {
        this.settings = settings;
        this.token = token;
        this.telemetry = telemetry;
        this.clock = clock;
        this.health = new HealthTracker(settings.healthGrace(), clock);
        this.ciphers = ThreadLocal.withInitial(this::newCipher);
        this.background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "hsm-sim-refresh");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Reads the token's versions, probes the current one, and schedules refresh and probe. */
    void start() {
        this.index = load(true);
        telemetry.currentKeyChanged(index.current().version().keyId(), index.current().label().created());
        probe();
        long refresh = settings.refreshInterval().toMillis();
        long probe = settings.probeInterval().toMillis();
        background.scheduleWithFixedDelay(this::refresh, refresh, refresh, TimeUnit.MILLISECONDS);
        background.scheduleWithFixedDelay(this::probe, probe, probe, TimeUnit.MILLISECONDS);
    }

    @Override
    public String describe() {
        return "hsm-sim token '" + settings.tokenLabel() + "' in " + settings.directory() + ", key '"
                + settings.keyName() + "'";
    }

    @Override
    public KeyVersion current() {
        return index.current().version();
    }

    @Override
    public KeyId keyId(KeyRef key) {
        // Derived once per version when the index is loaded.
        return version(key).version().keyId();
    }

    @Override
    public byte[] wrap(KeyVersion key, Plaintext dataKey, byte[] aad, CallContext call) {
        version(key.ref());
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        byte[] clear = dataKey.bytes();
        call.checkDeadline("before the token wrapped the data key");
        try {
            return againIfSessionGone("wrap under " + key, () -> {
                Cipher cipher = cipher();
                cipher.init(Cipher.ENCRYPT_MODE, version(key.ref()).key(), new GCMParameterSpec(TAG_BITS, iv));
                cipher.updateAAD(aad);
                byte[] sealed = cipher.doFinal(clear);
                byte[] wrapped = Arrays.copyOf(iv, IV_BYTES + sealed.length);
                System.arraycopy(sealed, 0, wrapped, IV_BYTES, sealed.length);
                return wrapped;
            });
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    public Plaintext unwrap(SealedDataKey sealed, CallContext call) {
        KeyRef key = sealed.key();
        byte[] wrapped = sealed.wrapped();
        if (sealed.algorithm() != Algorithm.AES_256_GCM) {
            throw new KmsException.InvalidInput("ciphertext was wrapped with " + sealed.algorithm()
                    + ", which the hsm-sim backend does not use; it was written by another backend");
        }
        if (wrapped.length < IV_BYTES + TAG_BITS / 8 + 1) {
            throw new KmsException.InvalidInput("ciphertext is malformed: a wrapped key of " + wrapped.length
                    + " bytes is too short for AES-256-GCM");
        }
        Version version = version(key);
        if (index.retired().contains(key.version()) && !version.label().equals(index.current().label())) {
            throw RetiredVersions.refusal(settings, key.version());
        }
        call.checkDeadline("before the token unwrapped the data key");
        return againIfSessionGone("unwrap under " + key, () -> {
            Cipher cipher = cipher();
            cipher.init(Cipher.DECRYPT_MODE, version(key).key(), new GCMParameterSpec(TAG_BITS, wrapped, 0, IV_BYTES));
            cipher.updateAAD(sealed.header());
            byte[] clear;
            try {
                clear = cipher.doFinal(wrapped, IV_BYTES, wrapped.length - IV_BYTES);
            } catch (AEADBadTagException e) {
                ciphers.remove();
                throw new KmsException.IntegrityFailure("the wrapped key failed authentication under key version "
                        + key + ": the ciphertext was altered, or was not produced with this token");
            }
            try {
                return new Plaintext(clear);
            } finally {
                Arrays.fill(clear, (byte) 0);
            }
        });
    }

    /**
     * Runs {@code operation}; when the token says its session or key handles are gone (its files were moved away
     * and back, say), opens the token again, reads the keys again and runs it once more. Re-opening happens at
     * most once a second, so a token that stays gone costs one attempt a second, not one per call; when it fails,
     * health fails at once, without the grace window, because waiting will not bring dead handles back.
     */
    private <T> T againIfSessionGone(String what, TokenOperation<T> operation) {
        int generation = token.generation();
        try {
            return operation.run();
        } catch (GeneralSecurityException | ProviderException e) {
            ciphers.remove();
            if (!SoftHsmToken.sessionGone(e) || !reopened(generation, e)) {
                throw tokenFailure(what, e);
            }
        }
        try {
            return operation.run();
        } catch (GeneralSecurityException | ProviderException e) {
            ciphers.remove();
            throw tokenFailure(what, e);
        }
    }

    /** Whether the token is now open under a newer generation than {@code generation}, re-opening it if due. */
    private boolean reopened(int generation, Exception failure) {
        synchronized (indexLock) {
            if (token.generation() != generation) {
                return true;
            }
            Instant now = clock.instant();
            if (lastReopen != null && Duration.between(lastReopen, now).compareTo(MIN_REOPEN_INTERVAL) < 0) {
                return false;
            }
            lastReopen = now;
            LOG.log(Level.WARNING, "the session with " + describe() + " is gone ("
                    + SoftHsmToken.rootMessage(failure) + "); opening the token again");
            try {
                token.reopen(settings.directory());
                index = load(false);
                lost = null;
                LOG.log(Level.INFO, "opened " + describe() + " again");
                return true;
            } catch (KmsException e) {
                lost = e;
                health.failed(e);
                LOG.log(Level.WARNING, "cannot open " + describe() + " again: " + e.getMessage());
                return false;
            }
        }
    }

    @Override
    public Health health() {
        Health tracked = health.current();
        KmsException gone = lost;
        if (gone == null) {
            return tracked;
        }
        return new Health(Health.State.UNHEALTHY, "the token's session is gone and opening it again failed: "
                + gone.getMessage(), tracked.lastSuccess(), tracked.lastProbe());
    }

    @Override
    public void close() {
        background.shutdownNow();
        try {
            background.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        token.close();
    }

    /** Re-reads the token's versions; a newer version becomes current. Runs in the background. */
    void refresh() {
        lastRefreshNanos = System.nanoTime();
        observed("refresh", () -> {
            Index before;
            Index after;
            synchronized (indexLock) {
                before = index;
                after = load(true);
                index = after;
            }
            if (!after.retired().equals(before.retired())) {
                LOG.log(Level.INFO, "retired key versions of ''{0}'': {1}", settings.keyName(), after.retired());
            }
            if (after.current().label().number() != before.current().label().number()) {
                LOG.log(Level.INFO, "key version {0} is now current", after.current().version());
                telemetry.currentKeyChanged(after.current().version().keyId(), after.current().label().created());
            }
        }, failure -> LOG.log(Level.WARNING, "cannot refresh the key versions of " + describe() + ": " + failure));
    }

    /** A real wrap and unwrap in the token under the current version; feeds the health state. */
    void probe() {
        byte[] sample = new byte[32];
        random.nextBytes(sample);
        Plaintext plaintext = new Plaintext(sample);
        try {
            observed("probe", () -> {
                CallContext call = CallContext.internal("health-probe", Duration.ofSeconds(5));
                KeyVersion key = current();
                byte[] header = CiphertextFormat.header(key.algorithm(), key.ref());
                SealedDataKey sealed = new SealedDataKey(key.algorithm(), key.ref(), wrap(key, plaintext, header, call));
                Plaintext back = unwrap(sealed, call);
                if (!back.equals(plaintext)) {
                    throw new KmsException.IntegrityFailure("the token returned a different key than it wrapped");
                }
                back.wipe();
                health.succeeded();
            }, failure -> {
                health.failed(failure);
                LOG.log(Level.WARNING, "health probe of " + describe() + " failed: " + failure.getMessage());
            });
        } finally {
            plaintext.wipe();
            Arrays.fill(sample, (byte) 0);
        }
    }

    /** Runs background work, reports its outcome to telemetry, and hands a failure, as a KmsException, on. */
    private void observed(String operation, Runnable work, Consumer<KmsException> onFailure) {
        long start = System.nanoTime();
        String outcome = "ok";
        try {
            work.run();
        } catch (KmsException e) {
            outcome = e.kind().name().toLowerCase(Locale.ROOT);
            onFailure.accept(e);
        } catch (RuntimeException e) {
            outcome = "internal_error";
            onFailure.accept(new KmsException.BackendUnavailable(e.toString(), e));
        } finally {
            telemetry.backendCallCompleted(operation, outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    // Keys of versions known before are kept when reuseKeys holds; after a re-open they are dead and read again.
    private Index load(boolean reuseKeys) {
        List<VersionLabel> labels = token.versions(settings.keyName());
        if (labels.isEmpty()) {
            throw new KmsException.UnknownKeyVersion("token '" + settings.tokenLabel() + "' holds no version of key '"
                    + settings.keyName() + "'; run 'kms-plugin sim rotate --sim-dir=" + settings.directory() + "'");
        }
        Map<String, Version> byNumber = new LinkedHashMap<>();
        Index previous = index;
        for (VersionLabel label : labels) {
            String number = Integer.toString(label.number());
            Version known = previous == null || !reuseKeys ? null : previous.versions().get(number);
            byNumber.put(number, known != null && known.label().equals(label) ? known
                    : new Version(label, new KeyVersion(label.ref(), label.keyId(), Algorithm.AES_256_GCM),
                            token.key(label)));
        }
        return new Index(Map.copyOf(byNumber), byNumber.get(Integer.toString(labels.get(labels.size() - 1).number())),
                RetiredVersions.read(settings.directory()));
    }

    private Version version(KeyRef key) {
        if (!key.name().equals(settings.keyName())) {
            throw new KmsException.UnknownKeyVersion("ciphertext names key '" + key.name() + "', but this plugin serves"
                    + " key '" + settings.keyName() + "' of token '" + settings.tokenLabel() + "'");
        }
        Version version = index.versions().get(key.version());
        if (version == null && System.nanoTime() - lastRefreshNanos > MIN_ON_DEMAND_REFRESH_NANOS) {
            // Rotated by another process since the last refresh? At most once a second, so that a client sending
            // unknown versions cannot make every call re-read the token.
            refresh();
            version = index.versions().get(key.version());
        }
        if (version == null) {
            throw new KmsException.UnknownKeyVersion("key version " + key + " does not exist in token '"
                    + settings.tokenLabel() + "'");
        }
        return version;
    }

    // A cipher of an older SunPKCS11 instance would use the dead session: make one of the current instance.
    private Cipher cipher() {
        Cipher cipher = ciphers.get();
        if (cipher.getProvider() != token.provider()) {
            cipher = newCipher();
            ciphers.set(cipher);
        }
        return cipher;
    }

    private Cipher newCipher() {
        try {
            return Cipher.getInstance(TRANSFORMATION, token.provider());
        } catch (GeneralSecurityException e) {
            throw new KmsException.Misconfigured("the SoftHSM token does not offer " + TRANSFORMATION, e);
        }
    }

    private static KmsException tokenFailure(String what, Exception e) {
        return new KmsException.BackendUnavailable("SoftHSM failed to " + what + ": " + SoftHsmToken.rootMessage(e), e);
    }
}
