package dev.kmsplugin.bench.micro;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * A key-encryption key in this JVM's memory (the JDK's own AES-GCM), so that the envelope service's cost can be
 * measured without an HSM in the way. Same wire layout as the simulator: IV (12) || ciphertext || tag (16).
 */
final class InMemoryAesKeys implements KeyEncryptionKeys {

    private static final KeyRef KEY = new KeyRef("bench", "1");
    private static final KeyId KEY_ID = KeyId.sha256Hex("bench/1");

    private final SecretKey key;
    private final SecureRandom random = new SecureRandom();
    private final Health health = Health.unknown();

    InMemoryAesKeys() {
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES");
            generator.init(256);
            key = generator.generateKey();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String describe() {
        return "in-memory AES-256-GCM key for benchmarks";
    }

    @Override
    public Algorithm algorithm() {
        return Algorithm.AES_256_GCM;
    }

    @Override
    public KeyRef currentKey() {
        return KEY;
    }

    @Override
    public KeyId keyId(KeyRef ref) {
        return KEY_ID;
    }

    @Override
    public byte[] wrap(KeyRef ref, Plaintext dataKey, byte[] aad, CallContext call) {
        byte[] iv = new byte[12];
        random.nextBytes(iv);
        byte[] clear = dataKey.bytes();
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(clear);
            byte[] wrapped = Arrays.copyOf(iv, 12 + sealed.length);
            System.arraycopy(sealed, 0, wrapped, 12, sealed.length);
            return wrapped;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    public Plaintext unwrap(KeyRef ref, Algorithm algorithm, byte[] wrapped, byte[] aad, CallContext call) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, wrapped, 0, 12));
            cipher.updateAAD(aad);
            byte[] clear = cipher.doFinal(wrapped, 12, wrapped.length - 12);
            try {
                return new Plaintext(clear);
            } finally {
                Arrays.fill(clear, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Health health() {
        return health;
    }

    @Override
    public void close() {
    }
}
