package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.health.HealthTracker;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The simulator's key-encryption key: AES-256-GCM inside a SoftHSM2 token, one token object per key version. The
 * wrapped key is {@code IV (12) || ciphertext || tag (16)} with the ciphertext header as AAD.
 *
 * <p>The version index and the health state live in memory and are refreshed in the background, so
 * {@link #currentKey()}, {@link #keyId(KeyRef)} and {@link #health()} never touch the token.
 */
final class SoftHsmKekBackend implements KeyEncryptionKeys {

    private static final Logger LOG = System.getLogger(SoftHsmKekBackend.class.getName());
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final long MIN_ON_DEMAND_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The versions known to this process and the current one; replaced as a whole on refresh. */
    private record Index(Map<String, KeyVersion> versions, Map<String, SecretKey> keys, Map<String, KeyId> keyIds,
            KeyVersion current) {
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

    SoftHsmKekBackend(SimSettings settings, SoftHsmToken token, Telemetry telemetry, Clock clock) {
        this.settings = settings;
        this.token = token;
        this.telemetry = telemetry;
        this.health = new HealthTracker(settings.healthGrace(), clock);
        this.ciphers = ThreadLocal.withInitial(this::newCipher);
        this.index = load();
        telemetry.currentKeyChanged(index.current().keyId());
        probe();
        this.background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "hsm-sim-refresh");
            thread.setDaemon(true);
            return thread;
        });
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
    public Algorithm algorithm() {
        return Algorithm.AES_256_GCM;
    }

    @Override
    public KeyRef currentKey() {
        return index.current().ref();
    }

    @Override
    public KeyId keyId(KeyRef key) {
        // Derived once per version when the index is loaded: Encrypt and Decrypt ask for it on every call.
        return index.keyIds().get(Integer.toString(version(key).number()));
    }

    @Override
    public byte[] wrap(KeyRef key, Plaintext dataKey, byte[] aad, CallContext call) {
        SecretKey secret = secret(key);
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        byte[] clear = dataKey.bytes();
        call.checkDeadline("before the token wrapped the data key");
        try {
            Cipher cipher = ciphers.get();
            cipher.init(Cipher.ENCRYPT_MODE, secret, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(clear);
            byte[] wrapped = Arrays.copyOf(iv, IV_BYTES + sealed.length);
            System.arraycopy(sealed, 0, wrapped, IV_BYTES, sealed.length);
            return wrapped;
        } catch (GeneralSecurityException | ProviderException e) {
            ciphers.remove();
            throw tokenFailure("wrap under " + key, e);
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    public Plaintext unwrap(KeyRef key, Algorithm algorithm, byte[] wrapped, byte[] aad, CallContext call) {
        if (algorithm != Algorithm.AES_256_GCM) {
            throw new KmsException.InvalidInput("ciphertext was wrapped with " + algorithm
                    + ", which the hsm-sim backend does not use; it was written by another backend");
        }
        if (wrapped.length < IV_BYTES + TAG_BITS / 8 + 1) {
            throw new KmsException.InvalidInput("ciphertext is malformed: a wrapped key of " + wrapped.length
                    + " bytes is too short for AES-256-GCM");
        }
        SecretKey secret = secret(key);
        call.checkDeadline("before the token unwrapped the data key");
        try {
            Cipher cipher = ciphers.get();
            cipher.init(Cipher.DECRYPT_MODE, secret, new GCMParameterSpec(TAG_BITS, wrapped, 0, IV_BYTES));
            cipher.updateAAD(aad);
            byte[] clear = cipher.doFinal(wrapped, IV_BYTES, wrapped.length - IV_BYTES);
            try {
                return new Plaintext(clear);
            } finally {
                Arrays.fill(clear, (byte) 0);
            }
        } catch (AEADBadTagException e) {
            ciphers.remove();
            throw new KmsException.IntegrityFailure("the wrapped key failed authentication under key version " + key
                    + ": the ciphertext was altered, or was not produced with this token");
        } catch (GeneralSecurityException | ProviderException e) {
            ciphers.remove();
            throw tokenFailure("unwrap under " + key, e);
        }
    }

    @Override
    public Health health() {
        return health.current();
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
        long start = System.nanoTime();
        lastRefreshNanos = start;
        String outcome = "ok";
        try {
            Index before = index;
            Index after = load();
            index = after;
            if (after.current().number() != before.current().number()) {
                LOG.log(Level.INFO, "key version {0} is now current (key_id {1})", after.current().ref(),
                        after.current().keyId());
                telemetry.currentKeyChanged(after.current().keyId());
            }
        } catch (KmsException e) {
            outcome = e.kind().name().toLowerCase(java.util.Locale.ROOT);
            LOG.log(Level.WARNING, "cannot refresh the key versions of " + describe() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            outcome = "internal_error";
            LOG.log(Level.WARNING, "cannot refresh the key versions of " + describe() + ": " + e);
        } finally {
            telemetry.backendCallCompleted("refresh", outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** A real wrap and unwrap in the token under the current version; feeds the health state. */
    void probe() {
        long start = System.nanoTime();
        String outcome = "ok";
        byte[] sample = new byte[32];
        random.nextBytes(sample);
        Plaintext plaintext = new Plaintext(sample);
        try {
            CallContext call = CallContext.internal("health-probe", Duration.ofSeconds(5));
            KeyRef key = currentKey();
            byte[] aad = ("probe:" + key).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Plaintext back = unwrap(key, Algorithm.AES_256_GCM, wrap(key, plaintext, aad, call), aad, call);
            if (!back.equals(plaintext)) {
                throw new KmsException.IntegrityFailure("the token returned a different key than it wrapped");
            }
            back.wipe();
            health.succeeded();
        } catch (KmsException e) {
            outcome = e.kind().name().toLowerCase(java.util.Locale.ROOT);
            health.failed(e);
            LOG.log(Level.WARNING, "health probe of " + describe() + " failed: " + e.getMessage());
        } catch (RuntimeException e) {
            outcome = "internal_error";
            health.failed(new KmsException.BackendUnavailable(e.toString()));
            LOG.log(Level.WARNING, "health probe of " + describe() + " failed: " + e);
        } finally {
            plaintext.wipe();
            Arrays.fill(sample, (byte) 0);
            telemetry.backendCallCompleted("probe", outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private Index load() {
        List<KeyVersion> versions = token.versions(settings.keyName());
        if (versions.isEmpty()) {
            throw new KmsException.UnknownKeyVersion("token '" + settings.tokenLabel() + "' holds no version of key '"
                    + settings.keyName() + "'; run 'kms-plugin sim rotate --sim-dir=" + settings.directory() + "'");
        }
        Map<String, KeyVersion> byNumber = new LinkedHashMap<>();
        Map<String, SecretKey> keys = new LinkedHashMap<>();
        Map<String, KeyId> keyIds = new LinkedHashMap<>();
        Index previous = index;
        for (KeyVersion version : versions) {
            String number = Integer.toString(version.number());
            byNumber.put(number, version);
            keyIds.put(number, version.keyId());
            SecretKey known = previous == null ? null : previous.keys().get(number);
            keys.put(number, known != null && previous.versions().get(number).equals(version)
                    ? known : token.key(version));
        }
        return new Index(Map.copyOf(byNumber), Map.copyOf(keys), Map.copyOf(keyIds), versions.get(versions.size() - 1));
    }

    private KeyVersion version(KeyRef key) {
        if (!key.name().equals(settings.keyName())) {
            throw new KmsException.UnknownKeyVersion("ciphertext names key '" + key.name() + "', but this plugin serves"
                    + " key '" + settings.keyName() + "' of token '" + settings.tokenLabel() + "'");
        }
        KeyVersion version = index.versions().get(key.version());
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

    private SecretKey secret(KeyRef key) {
        KeyVersion version = version(key);
        return Objects.requireNonNull(index.keys().get(Integer.toString(version.number())));
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
