package dev.kmsplugin.app.ops;

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
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * A real key-encryption-key backend for tests: AES-256-GCM keys held in memory by the JDK's provider, with
 * rotation and a health probe whose outcome the test chooses.
 */
final class AesGcmKeys implements KeyEncryptionKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<KeyRef, SecretKey> versions = new ConcurrentHashMap<>();
    private final HealthTracker health = new HealthTracker(Duration.ZERO, Clock.systemUTC());
    private final Telemetry telemetry;
    private volatile KeyRef current;
    volatile boolean closed;

    AesGcmKeys(Telemetry telemetry) {
        this.telemetry = telemetry;
        rotate();
    }

    /** Makes a new key version current. */
    void rotate() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256);
            KeyRef next = new KeyRef("test-kek", Integer.toString(versions.size() + 1));
            versions.put(next, generator.generateKey());
            current = next;
            telemetry.currentKeyChanged(keyId(next));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one health probe: a real wrap and unwrap, or the given failure. */
    void probe(KmsException failure) {
        long start = System.nanoTime();
        if (failure == null) {
            byte[] sample = new byte[32];
            unwrap(current, Algorithm.AES_256_GCM, wrap(current, new Plaintext(sample), new byte[0], null),
                    new byte[0], null);
            health.succeeded();
        } else {
            health.failed(failure);
        }
        telemetry.backendCallCompleted("probe", failure == null ? "ok" : failure.kind().name().toLowerCase(),
                Duration.ofNanos(System.nanoTime() - start));
    }

    @Override
    public String describe() {
        return "in-memory AES-GCM test keys";
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
        return KeyId.sha256Hex(key.name() + "/" + key.version());
    }

    @Override
    public byte[] wrap(KeyRef key, Plaintext dataKey, byte[] aad, CallContext call) {
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, secret(key), new GCMParameterSpec(128, nonce));
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(dataKey.bytes());
            return ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Plaintext unwrap(KeyRef key, Algorithm algorithm, byte[] wrapped, byte[] aad, CallContext call) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, secret(key), new GCMParameterSpec(128, wrapped, 0, 12));
            cipher.updateAAD(aad);
            byte[] plain = cipher.doFinal(wrapped, 12, wrapped.length - 12);
            try {
                return new Plaintext(plain);
            } finally {
                Arrays.fill(plain, (byte) 0);
            }
        } catch (AEADBadTagException e) {
            throw new KmsException.IntegrityFailure("wrapped data key failed authentication");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private SecretKey secret(KeyRef key) {
        SecretKey secret = versions.get(key);
        if (secret == null) {
            throw new KmsException.UnknownKeyVersion("no key version " + key);
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
}
