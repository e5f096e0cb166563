package dev.kmsplugin.ports.testkit;

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
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The test kit's key-encryption keys: real AES-256-GCM on the JDK's own provider (the header bound as AAD, as the
 * simulator does), with versions, and knobs to rotate, forget a version, fail, slow down and count calls. One set
 * for every module's tests, shared as the test-jar of kms-ports.
 */
public final class InMemoryKeys implements KeyEncryptionKeys {

    private final String keyName;
    private final Telemetry telemetry;
    private final Map<String, SecretKey> versions = new ConcurrentHashMap<>();
    private final HealthTracker health;
    private final SecureRandom random = new SecureRandom();
    private final AtomicInteger wraps = new AtomicInteger();
    private final AtomicInteger unwraps = new AtomicInteger();
    private volatile KeyVersion current;
    private volatile Supplier<RuntimeException> failure;
    private volatile Duration delay = Duration.ZERO;
    private volatile Gate gate;
    private volatile boolean closed;

    /** Keys named {@code kek}, healthy from the start. */
    public InMemoryKeys() {
        this("kek", Telemetry.none(), Duration.ofMinutes(1));
        health.succeeded();
    }

    /**
     * Keys that report rotations and probes to {@code telemetry}, with a health state that stays unknown until the
     * first {@link #probe}, as a real backend's does before its first probe.
     */
    public InMemoryKeys(String keyName, Telemetry telemetry, Duration healthGrace) {
        this.keyName = keyName;
        this.telemetry = telemetry;
        this.health = new HealthTracker(healthGrace, Clock.systemUTC());
        rotate();
    }

    /** Runs one health probe, as a backend's background probe does: a real wrap and unwrap, or the failure given. */
    public void probe(KmsException failure) {
        long start = System.nanoTime();
        if (failure == null) {
            KeyVersion key = current;
            byte[] header = CiphertextFormat.header(key.algorithm(), key.ref());
            open(new SealedDataKey(key.algorithm(), key.ref(), seal(key, new Plaintext(new byte[32]), header)));
            health.succeeded();
        } else {
            health.failed(failure);
        }
        telemetry.backendCallCompleted("probe", failure == null ? "ok" : failure.kind().name().toLowerCase(
                Locale.ROOT), Duration.ofNanos(System.nanoTime() - start));
    }

    /** Adds a version and makes it current. */
    public synchronized KeyRef rotate() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256);
            KeyRef next = new KeyRef(keyName, Integer.toString(versions.size() + 1));
            versions.put(next.version(), generator.generateKey());
            current = new KeyVersion(next, keyId(next), Algorithm.AES_256_GCM);
            telemetry.currentKeyChanged(current.keyId());
            return next;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes a version vanish, as a deleted key version would. */
    public void forget(KeyRef key) {
        versions.remove(key.version());
    }

    /** Every following wrap and unwrap throws what {@code failure} makes ({@code null} to stop failing). */
    public void failWith(Supplier<RuntimeException> failure) {
        this.failure = failure;
    }

    /**
     * Every following wrap and unwrap first works this long, as a slow HSM would, and gives up with
     * {@link KmsException.DeadlineExceeded} when the caller's deadline passes meanwhile.
     */
    public void delay(Duration delay) {
        this.delay = delay;
    }

    /**
     * Every following wrap and unwrap waits at the returned gate until it is {@link Gate#release released}, its
     * caller's deadline passes (then it fails with {@link KmsException.DeadlineExceeded}) or its thread is
     * interrupted. Tests use it instead of a {@link #delay} to know, without a clock, which calls are inside the
     * backend and how each left it.
     */
    public Gate hold() {
        Gate held = new Gate();
        gate = held;
        return held;
    }

    /** Waits until {@code count} wraps and unwraps have reached the backend (failing after {@link Await#HANG_GUARD}). */
    public void awaitCalls(int count) {
        Await.awaitCondition(() -> calls() >= count, () -> "only " + calls() + " of " + count
                + " calls reached the backend");
    }

    /** Wraps and unwraps that reached the backend. */
    public int calls() {
        return wraps.get() + unwraps.get();
    }

    public HealthTracker tracker() {
        return health;
    }

    public int wraps() {
        return wraps.get();
    }

    public int unwraps() {
        return unwraps.get();
    }

    public boolean closed() {
        return closed;
    }

    @Override
    public String describe() {
        return "in-memory AES-GCM test keys";
    }

    @Override
    public KeyVersion current() {
        return current;
    }

    @Override
    public KeyId keyId(KeyRef key) {
        return KeyId.sha256Hex("test:" + key);
    }

    @Override
    public byte[] wrap(KeyVersion version, Plaintext dataKey, byte[] header, CallContext call) {
        wraps.incrementAndGet();
        misbehave(call);
        return seal(version, dataKey, header);
    }

    private byte[] seal(KeyVersion version, Plaintext dataKey, byte[] header) {
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, secret(version.ref()), new GCMParameterSpec(128, iv));
            cipher.updateAAD(header);
            byte[] sealed = cipher.doFinal(dataKey.bytes());
            return ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Plaintext unwrap(SealedDataKey sealed, Consumer<KeyVersion> admit, CallContext call) {
        admit.accept(new KeyVersion(sealed.key(), keyId(sealed.key()), Algorithm.AES_256_GCM));
        unwraps.incrementAndGet();
        misbehave(call);
        return open(sealed);
    }

    private Plaintext open(SealedDataKey sealed) {
        if (sealed.algorithm() != Algorithm.AES_256_GCM) {
            throw new KmsException.InvalidInput("ciphertext was wrapped with " + sealed.algorithm());
        }
        byte[] wrapped = sealed.wrapped();
        if (wrapped.length < 12 + 16) {
            throw new KmsException.IntegrityFailure("wrapped key is too short to be AES-GCM output");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, secret(sealed.key()), new GCMParameterSpec(128, wrapped, 0, 12));
            cipher.updateAAD(sealed.header());
            return new Plaintext(cipher.doFinal(wrapped, 12, wrapped.length - 12));
        } catch (AEADBadTagException e) {
            throw new KmsException.IntegrityFailure("authentication of the wrapped key failed");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void misbehave(CallContext call) {
        Gate held = gate;
        if (held != null) {
            held.pass(call);
        }
        Duration pause = delay;
        long until = System.nanoTime() + pause.toNanos();
        while (System.nanoTime() < until) {
            call.checkDeadline("while the test backend was working");
            try {
                Thread.sleep(Math.min(5, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KmsException.BackendUnavailable("interrupted");
            }
        }
        call.checkDeadline("in the test backend");
        Supplier<RuntimeException> fail = failure;
        if (fail != null) {
            throw fail.get();
        }
    }

    private SecretKey secret(KeyRef key) {
        SecretKey secret = key.name().equals(keyName) ? versions.get(key.version()) : null;
        if (secret == null) {
            throw new KmsException.UnknownKeyVersion("key version " + key + " does not exist");
        }
        return secret;
    }

    @Override
    public Health health() {
        return health.current();
    }

    @Override
    public void close() {
        closed = true;
    }

    /** Where held calls wait; see {@link #hold()}. */
    public static final class Gate {

        private final CountDownLatch open = new CountDownLatch(1);
        private final AtomicInteger arrived = new AtomicInteger();
        private final AtomicInteger passed = new AtomicInteger();
        private final AtomicInteger deadlineExceeded = new AtomicInteger();
        private final AtomicInteger interrupted = new AtomicInteger();

        private Gate() {
        }

        private void pass(CallContext call) {
            arrived.incrementAndGet();
            try {
                long left = call.deadlineNanos() - System.nanoTime();
                if (left > 0 && open.await(left, TimeUnit.NANOSECONDS)) {
                    passed.incrementAndGet();
                    return;
                }
                deadlineExceeded.incrementAndGet();
                throw new KmsException.DeadlineExceeded("the caller's deadline passed while the test backend held"
                        + " the call; the call was abandoned");
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                Thread.currentThread().interrupt();
                throw new KmsException.BackendUnavailable("interrupted while the test backend held the call");
            }
        }

        /** Lets every held call, and every later one, through. */
        public void release() {
            open.countDown();
        }

        public boolean released() {
            return open.getCount() == 0;
        }

        /** Calls that have reached the gate. */
        public int arrived() {
            return arrived.get();
        }

        /** Calls that went on into the backend once the gate was released. */
        public int passed() {
            return passed.get();
        }

        /** Calls that gave up at the gate because their caller's deadline passed. */
        public int deadlineExceeded() {
            return deadlineExceeded.get();
        }

        /** Calls whose thread was interrupted while held: the server cancelled the work. */
        public int interrupted() {
            return interrupted.get();
        }

        /** Blocks until {@code count} calls have reached the gate. */
        public void awaitArrivals(int count) {
            Await.awaitCondition(() -> arrived() >= count, () -> "only " + arrived() + " of " + count
                    + " calls reached the held backend");
        }

        /** Blocks until {@code count} held calls have given up at their deadline. */
        public void awaitDeadlineExceeded(int count) {
            Await.awaitCondition(() -> deadlineExceeded() >= count, () -> deadlineExceeded() + " of " + count
                    + " held calls gave up at their deadline; " + this);
        }

        /** Blocks until {@code count} held calls have been interrupted. */
        public void awaitInterrupted(int count) {
            Await.awaitCondition(() -> interrupted() >= count, () -> interrupted() + " of " + count
                    + " held calls were interrupted; " + this);
        }

        @Override
        public String toString() {
            return "gate[" + (released() ? "released" : "held") + ", arrived " + arrived() + ", passed " + passed()
                    + ", deadline " + deadlineExceeded() + ", interrupted " + interrupted() + "]";
        }
    }
}
