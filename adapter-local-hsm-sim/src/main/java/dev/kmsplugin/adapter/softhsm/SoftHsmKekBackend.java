package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.adapter.softhsm.Token.KeyVersion;
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
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Key-encryption keys in a SoftHSM2 token: AES-256-GCM inside the token, one non-extractable key object per version.
 *
 * <p>Wrapped bytes are {@code IV (12) || ciphertext || tag (16)}; the ciphertext header is the AAD, so a
 * wrapped key moved to another key name, version or algorithm fails authentication. A background thread re-reads
 * the versions every {@code refresh-interval} (another process may have rotated) and probes the token every
 * {@code probe-interval}; {@link #currentKey()}, {@link #keyId} and {@link #health()} answer from memory.
 */
public final class SoftHsmKekBackend implements KeyEncryptionKeys {

    private static final Logger LOG = System.getLogger(SoftHsmKekBackend.class.getName());
    private static final int TAG_BYTES = Token.TAG_BITS / 8;
    /** A miss may mean a rotation this process has not seen yet; re-read at most this often on misses. */
    private static final long MISS_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Simulator simulator;
    private final Token token;
    private final String keyName;
    private final Telemetry telemetry;
    private final Clock clock;
    private final HealthTracker health;
    private final SecureRandom random = new SecureRandom();
    private final ScheduledExecutorService background;
    private volatile Versions versions;
    private volatile long lastRefreshNanos;

    private SoftHsmKekBackend(Simulator simulator, Telemetry telemetry, Clock clock) {
        this.simulator = simulator;
        this.token = simulator.token();
        this.keyName = simulator.settings().keyName();
        this.telemetry = telemetry;
        this.clock = clock;
        this.health = new HealthTracker(simulator.settings().healthGrace(), clock);
        this.versions = Versions.of(simulator.versions(true, clock));
        this.lastRefreshNanos = System.nanoTime();
        telemetry.currentKeyChanged(keyId(currentKey()));
        this.background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "hsm-sim-refresh");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Opens the simulator directory (creating the token and key version 1 when it holds none), probes the token
     * once, and starts the background refresh and probe.
     */
    static SoftHsmKekBackend start(SimSettings settings, Map<String, String> env, Telemetry telemetry,
            Clock clock) {
        Simulator simulator = Simulator.open(settings, env, true);
        try {
            SoftHsmKekBackend backend = new SoftHsmKekBackend(simulator, telemetry, clock);
            backend.probe();
            long refresh = settings.refreshInterval().toMillis();
            long probe = settings.probeInterval().toMillis();
            backend.background.scheduleWithFixedDelay(backend::refreshQuietly, refresh, refresh, TimeUnit.MILLISECONDS);
            backend.background.scheduleWithFixedDelay(backend::probe, probe, probe, TimeUnit.MILLISECONDS);
            LOG.log(Level.INFO, "{0}: current version {1} of {2} (key_id {3})", backend.describe(),
                    backend.currentKey().version(), backend.versions.byNumber.size(), backend.keyId(backend.currentKey()));
            return backend;
        } catch (RuntimeException e) {
            simulator.close();
            throw e;
        }
    }

    @Override
    public String describe() {
        return "hsm-sim key '" + keyName + "' in " + token.describe() + " at " + simulator.directory().path();
    }

    @Override
    public Algorithm algorithm() {
        return Algorithm.AES_256_GCM;
    }

    @Override
    public KeyRef currentKey() {
        return Simulator.ref(keyName, versions.current.number());
    }

    @Override
    public KeyId keyId(KeyRef key) {
        return Simulator.keyId(key.name(), key.version());
    }

    @Override
    public byte[] wrap(KeyRef key, Plaintext dataKey, byte[] aad, CallContext call) {
        call.checkDeadline("before the data key was wrapped in the token");
        byte[] iv = new byte[Token.IV_BYTES];
        random.nextBytes(iv);
        byte[] plaintext = dataKey.bytes();
        try {
            byte[] sealed = withFreshHandles(() -> token.encrypt(version(key).key(), iv, aad, plaintext));
            byte[] wrapped = Arrays.copyOf(iv, iv.length + sealed.length);
            System.arraycopy(sealed, 0, wrapped, iv.length, sealed.length);
            return wrapped;
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    @Override
    public Plaintext unwrap(KeyRef key, Algorithm algorithm, byte[] wrapped, byte[] aad, CallContext call) {
        if (algorithm != Algorithm.AES_256_GCM) {
            throw new KmsException.InvalidInput("the ciphertext was wrapped with " + algorithm + ", but the hsm-sim "
                    + "backend wraps with " + Algorithm.AES_256_GCM + "; it was written by another backend "
                    + "(keyvault?), which must decrypt it");
        }
        if (wrapped.length <= Token.IV_BYTES + TAG_BYTES) {
            throw new KmsException.IntegrityFailure("the wrapped data key is " + wrapped.length + " bytes, too short "
                    + "for AES-256-GCM (12-byte IV, 16-byte tag): the ciphertext was cut or altered");
        }
        call.checkDeadline("before the data key was unwrapped in the token");
        byte[] iv = Arrays.copyOfRange(wrapped, 0, Token.IV_BYTES);
        byte[] sealed = Arrays.copyOfRange(wrapped, Token.IV_BYTES, wrapped.length);
        byte[] plaintext = withFreshHandles(() -> token.decrypt(version(key).key(), iv, aad, sealed));
        try {
            return new Plaintext(plaintext);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
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
        simulator.close();
    }

    /** Re-reads the key versions from the token; a new highest version becomes current. */
    void refresh() {
        long start = System.nanoTime();
        String outcome = "ok";
        try {
            Versions fresh = Versions.of(token.versions(keyName));
            lastRefreshNanos = System.nanoTime();
            Versions previous = versions;
            versions = fresh;
            if (fresh.current.number() != previous.current.number()) {
                KeyRef current = currentKey();
                LOG.log(Level.INFO, "key version {0} of ''{1}'' is now current (key_id {2})", current.version(),
                        keyName, keyId(current));
                telemetry.currentKeyChanged(keyId(current));
            }
        } catch (KmsException e) {
            outcome = e.kind().name().toLowerCase(java.util.Locale.ROOT);
            throw e;
        } finally {
            telemetry.backendCallCompleted("refresh", outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** A real wrap and unwrap of a random key under the current version; the result feeds {@link #health()}. */
    void probe() {
        long start = System.nanoTime();
        String outcome = "ok";
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        Plaintext probe = new Plaintext(secret);
        Arrays.fill(secret, (byte) 0);
        try {
            CallContext call = CallContext.internal("health-probe", Duration.ofSeconds(10));
            KeyRef key = currentKey();
            byte[] aad = ("health-probe:" + key).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Plaintext back = unwrap(key, Algorithm.AES_256_GCM, wrap(key, probe, aad, call), aad, call);
            boolean same = back.equals(probe);
            back.wipe();
            if (!same) {
                throw new KmsException.IntegrityFailure("the health probe unwrapped different bytes than it wrapped");
            }
            health.succeeded();
        } catch (KmsException e) {
            outcome = e.kind().name().toLowerCase(java.util.Locale.ROOT);
            health.failed(e);
            LOG.log(Level.WARNING, "health probe failed: {0}", e.getMessage());
        } catch (RuntimeException e) {
            outcome = "internal_error";
            health.failed(new KmsException.BackendUnavailable("the health probe failed: " + e, e));
            LOG.log(Level.WARNING, "health probe failed", e);
        } finally {
            probe.wipe();
            telemetry.backendCallCompleted("probe", outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** Runs {@code work}; if the token invalidated our key handles (lost login), logs in, re-reads, tries once more. */
    private byte[] withFreshHandles(java.util.function.Supplier<byte[]> work) {
        try {
            return work.get();
        } catch (KmsException.BackendUnavailable e) {
            if (!Token.staleHandles(e)) {
                throw e;
            }
            LOG.log(Level.WARNING, "the token invalidated the key handles ({0}); logging in again",
                    Token.code(e).orElse("?"));
            token.login();
            refresh();
            return work.get();
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not re-read the key versions: {0}", e.getMessage());
        }
    }

    private KeyVersion version(KeyRef key) {
        if (!key.name().equals(keyName)) {
            throw new KmsException.UnknownKeyVersion("the ciphertext was wrapped by key '" + key.name()
                    + "', but this plugin serves key '" + keyName + "' (set --sim-key-name to the key that wrote it)");
        }
        int number;
        try {
            number = Integer.parseInt(key.version());
        } catch (NumberFormatException e) {
            throw new KmsException.UnknownKeyVersion("key version '" + key.version() + "' is not a simulator "
                    + "version (they are numbered from 1)");
        }
        KeyVersion version = versions.byNumber.get(number);
        if (version == null && System.nanoTime() - lastRefreshNanos > MISS_REFRESH_NANOS) {
            refresh();
            version = versions.byNumber.get(number);
        }
        if (version == null) {
            throw new KmsException.UnknownKeyVersion("version " + number + " of key '" + keyName + "' is not in the "
                    + token.describe() + " at " + simulator.directory().path() + " (it holds versions 1 to "
                    + versions.current.number() + "); the ciphertext was written with another simulator directory");
        }
        return version;
    }

    /** The key versions as last read: immutable, swapped whole. */
    private static final class Versions {
        final Map<Integer, KeyVersion> byNumber;
        final KeyVersion current;

        private Versions(Map<Integer, KeyVersion> byNumber, KeyVersion current) {
            this.byNumber = byNumber;
            this.current = Objects.requireNonNull(current);
        }

        static Versions of(List<KeyVersion> list) {
            if (list.isEmpty()) {
                throw new KmsException.UnknownKeyVersion("the token holds no version of the key; "
                        + "run kms-plugin sim init to create version 1");
            }
            Map<Integer, KeyVersion> map = new TreeMap<>();
            list.forEach(v -> map.put(v.number(), v));
            return new Versions(Map.copyOf(map), list.get(list.size() - 1));
        }
    }
}
