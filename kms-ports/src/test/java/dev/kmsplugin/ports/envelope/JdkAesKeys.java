package dev.kmsplugin.ports.envelope;

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
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/** A real AES-256-GCM key-encryption-key backend on the JDK's own provider, with versions and rotation. */
final class JdkAesKeys implements KeyEncryptionKeys {

    private final Map<String, SecretKey> versions = new ConcurrentHashMap<>();
    private final HealthTracker health = new HealthTracker(Duration.ofMinutes(1), Clock.systemUTC());
    private final SecureRandom random = new SecureRandom();
    private volatile KeyRef current;

    JdkAesKeys() {
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

    private SecretKey secret(KeyRef key) {
        SecretKey secret = versions.get(key.version());
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
    }
}
