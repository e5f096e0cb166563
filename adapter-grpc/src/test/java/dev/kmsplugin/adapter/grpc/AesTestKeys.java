package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.health.HealthTracker;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * A real AES-256-GCM key-encryption-key backend on the JDK's provider, with versions and rotation. Tests can make
 * wrap and unwrap slow (to fill the call pool or outlive a deadline) or fail with a given domain failure.
 */
final class AesTestKeys implements KeyEncryptionKeys {

    private final Map<String, SecretKey> versions = new ConcurrentHashMap<>();
    private final HealthTracker health = new HealthTracker(Duration.ofMinutes(1), Clock.systemUTC());
    private final SecureRandom random = new SecureRandom();
    private volatile KeyRef current;
    volatile Duration delay = Duration.ZERO;
    volatile Supplier<RuntimeException> fault;
    /** How many wrap and unwrap calls have reached the backend. */
    final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

    AesTestKeys() {
        rotate();
        health.succeeded();
    }

    KeyRef rotate() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256);
            KeyRef next = new KeyRef("kek", Integer.toString(versions.size() + 1));
            versions.put(next.version(), generator.generateKey());
            current = next;
            return next;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    void forget(KeyRef key) {
        versions.remove(key.version());
    }

    HealthTracker tracker() {
        return health;
    }

    @Override
    public String describe() {
        return "JDK AES-GCM test keys";
    }

    @Override
    public Algorithm algorithm() {
        return Algorithm.AES_256_GCM;
    }

    @Override
    public KeyRef currentKey() {
        return current;
    }

    @Override
    public KeyId keyId(KeyRef key) {
        return KeyId.sha256Hex("test:" + key);
    }

    @Override
    public byte[] wrap(KeyRef key, Plaintext dataKey, byte[] aad, CallContext call) {
        work(call);
        try {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, secret(key), new GCMParameterSpec(128, iv));
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(dataKey.bytes());
            return ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Plaintext unwrap(KeyRef key, Algorithm algorithm, byte[] wrapped, byte[] aad, CallContext call) {
        work(call);
        if (wrapped.length < 12 + 16) {
            throw new KmsException.IntegrityFailure("wrapped key is too short to be AES-GCM output");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, secret(key), new GCMParameterSpec(128, wrapped, 0, 12));
            cipher.updateAAD(aad);
            return new Plaintext(cipher.doFinal(wrapped, 12, wrapped.length - 12));
        } catch (AEADBadTagException e) {
            throw new KmsException.IntegrityFailure("authentication of the wrapped key failed");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // Like a real HSM call: takes time, may fail, and gives up when the caller's deadline passes.
    private void work(CallContext call) {
        calls.incrementAndGet();
        Duration pause = delay;
        if (!pause.isZero()) {
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
        }
        Supplier<RuntimeException> failure = fault;
        if (failure != null) {
            throw failure.get();
        }
    }

    private SecretKey secret(KeyRef key) {
        SecretKey secret = versions.get(key.version());
        if (secret == null) {
            throw new KmsException.UnknownKeyVersion("key version " + key + " does not exist in the test keys");
        }
        return secret;
    }

    /** Waits until {@code count} calls have reached the backend since the test began. */
    void awaitCalls(int count) throws InterruptedException {
        long until = System.nanoTime() + 5_000_000_000L;
        while (calls.get() < count && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        if (calls.get() < count) {
            throw new AssertionError("only " + calls.get() + " of " + count + " calls reached the backend");
        }
    }

    @Override
    public Health health() {
        return health.current();
    }

    @Override
    public void close() {
    }
}
