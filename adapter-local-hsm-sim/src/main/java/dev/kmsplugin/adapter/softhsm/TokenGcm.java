package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with AAD in the token through SunPKCS11, with one PKCS#11 operation set-up per call instead of two.
 * Used where {@link DirectGcm} is not available (a JVM started without the launcher's export), and by its checks.
 *
 * <p>SunPKCS11 (JDK 17 to 25) starts the token operation ({@code C_EncryptInit}/{@code C_DecryptInit}) as soon as
 * {@code Cipher.init} is called, before the AAD can be given; AAD given afterwards makes it cancel that operation
 * (a throwaway {@code C_Encrypt}/{@code C_Decrypt}, which for a decryption fails and is logged by SoftHSM) and start
 * a second one. With a token key each start reads the key object through SoftHSM's file store, which is most of the
 * cost of a call. But the provider passes on the AAD it holds when {@code init} runs: so this class hands it the AAD
 * first and initialises afterwards. That needs a cipher that takes AAD before {@code init}: one whose last call was
 * a decryption does; any other is first <em>primed</em> with an encryption set-up under a session key made for
 * that purpose (in memory, public, no file store; the set-up is cancelled when the real one starts, and nothing it
 * computes is kept).
 *
 * <p>This relies on how the provider orders its work, which no specification promises. So {@link #open} proves it on
 * the running JDK with known-answer checks before use (AAD bound both ways: a wrong AAD fails, ciphertexts match the
 * standard sequence), and falls back to the standard sequence, {@code init} then {@code updateAAD}, when any check
 * fails. Either way the bytes are the same AES-GCM with AAD; only the number of token round trips differs.
 *
 * <p>One cipher per thread; a cipher that threw is dropped ({@link #forget}).
 */
final class TokenGcm {

    private static final Logger LOG = System.getLogger(TokenGcm.class.getName());
    static final String TRANSFORMATION = "AES/GCM/NoPadding";
    static final int IV_BYTES = 12;
    static final int TAG_BITS = 128;
    /** The primer's operation is cancelled before it computes anything that is kept, so its IV may repeat. */
    private static final GCMParameterSpec PRIMER_SPEC = new GCMParameterSpec(TAG_BITS, new byte[IV_BYTES]);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Provider provider;
    /** Null when the provider did not pass the checks: every call takes the standard sequence. */
    private final SecretKey primer;
    private final ThreadLocal<PerThread> ciphers;

    private TokenGcm(Provider provider, SecretKey primer) {
        this.provider = provider;
        this.primer = primer;
        this.ciphers = ThreadLocal.withInitial(() -> new PerThread(newCipher(provider)));
    }

    /**
     * Ciphers of {@code provider}: the one-set-up sequence when the running JDK's provider passes its checks there
     * (they make a session key and run a few operations under it), else the standard one.
     */
    static TokenGcm open(Provider provider) {
        SecretKey primer;
        try {
            primer = primer(provider);
        } catch (GeneralSecurityException | ProviderException e) {
            LOG.log(Level.INFO, "no session key for single set-up AES-GCM ({0}); every call sets up twice",
                    SoftHsmToken.rootMessage(e));
            return standard(provider);
        }
        String failed = check(provider, primer);
        if (failed != null) {
            LOG.log(Level.INFO, "this JDK''s SunPKCS11 does not take AES-GCM AAD ahead of init ({0}); every call"
                    + " sets up twice", failed);
            return standard(provider);
        }
        return new TokenGcm(provider, primer);
    }

    /**
     * The primer: a session object (gone with its session, never stored) imported from random bytes. Nothing it
     * computes leaves the token or outlives the call (its operation is always cancelled), so its bytes guard
     * nothing; they are imported rather than generated in the token so that the provider's import template can
     * make it a public object ({@link SoftHsmToken}): SoftHSM keeps a private object's value encrypted and
     * decrypts it on every use, which more than doubles the cost of a priming.
     */
    private static SecretKey primer(Provider provider) throws GeneralSecurityException {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        try {
            return (SecretKey) SecretKeyFactory.getInstance("AES", provider)
                    .translateKey(new SecretKeySpec(raw, "AES"));
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** Ciphers of {@code provider} that always take the standard sequence. */
    static TokenGcm standard(Provider provider) {
        return new TokenGcm(provider, null);
    }

    /** Whether calls take one PKCS#11 set-up (the checks passed) rather than two. */
    boolean singleSetUp() {
        return primer != null;
    }

    Provider provider() {
        return provider;
    }

    /** {@code IV || AES-GCM(clear) || tag} under {@code key}, with {@code aad}. */
    byte[] seal(SecretKey key, byte[] iv, byte[] aad, byte[] clear) throws GeneralSecurityException {
        PerThread state = ciphers.get();
        Cipher cipher = state.start(primer, aad, Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
        byte[] wrapped = new byte[IV_BYTES + cipher.getOutputSize(clear.length)];
        System.arraycopy(iv, 0, wrapped, 0, IV_BYTES);
        int length = cipher.doFinal(clear, 0, clear.length, wrapped, IV_BYTES);
        return IV_BYTES + length == wrapped.length ? wrapped : Arrays.copyOf(wrapped, IV_BYTES + length);
    }

    /**
     * The clear bytes of {@code wrapped} ({@code IV || ciphertext || tag}) under {@code key}, with {@code aad}; the
     * caller wipes them.
     *
     * @throws AEADBadTagException when the tag does not match
     */
    byte[] unseal(SecretKey key, byte[] wrapped, byte[] aad) throws GeneralSecurityException {
        PerThread state = ciphers.get();
        Cipher cipher = state.start(primer, aad, Cipher.DECRYPT_MODE, key,
                new GCMParameterSpec(TAG_BITS, wrapped, 0, IV_BYTES));
        byte[] clear = cipher.doFinal(wrapped, IV_BYTES, wrapped.length - IV_BYTES);
        state.ready = true; // a finished decryption takes the next AAD before init
        return clear;
    }

    /** Drops this thread's cipher, after it threw: the next call makes a new one. */
    void forget() {
        ciphers.remove();
    }

    private static Cipher newCipher(Provider provider) {
        try {
            return Cipher.getInstance(TRANSFORMATION, provider);
        } catch (GeneralSecurityException e) {
            throw new KmsException.Misconfigured("the SoftHSM token does not offer " + TRANSFORMATION, e);
        }
    }

    /** A thread's cipher and whether it takes AAD before init as it stands (its last call was a decryption). */
    private static final class PerThread {
        private final Cipher cipher;
        private boolean ready;

        PerThread(Cipher cipher) {
            this.cipher = cipher;
        }

        /** The cipher set up for one call: with the AAD ahead of init when it can, else the standard sequence. */
        Cipher start(SecretKey primer, byte[] aad, int mode, SecretKey key, GCMParameterSpec spec)
                throws GeneralSecurityException {
            if (primer == null) {
                cipher.init(mode, key, spec);
                cipher.updateAAD(aad);
                return cipher;
            }
            if (!ready) {
                cipher.init(Cipher.ENCRYPT_MODE, primer, PRIMER_SPEC);
            }
            ready = false; // until a decryption finishes: a finished encryption refuses AAD until the next init
            cipher.updateAAD(aad);
            cipher.init(mode, key, spec);
            return cipher;
        }
    }

    /**
     * Proves on this provider that the one-set-up sequence binds the AAD exactly as the standard one, in both
     * directions and from each state a cipher can be in; returns what failed, or null.
     */
    private static String check(Provider provider, SecretKey key) {
        byte[] aad = "kms-plugin single set-up check".getBytes(StandardCharsets.US_ASCII);
        byte[] otherAad = Arrays.copyOf(aad, aad.length);
        otherAad[0] ^= 1;
        byte[] clear = new byte[32];
        Arrays.fill(clear, (byte) 0x5a);
        try {
            TokenGcm fast = new TokenGcm(provider, key);
            TokenGcm standard = standard(provider);
            byte[] iv = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
            byte[] expected = standard.seal(key, iv, aad, clear);
            // Each state a cipher can start a call in: new (primed), after an encryption (primed), after a
            // decryption (AAD first, no primer).
            if (!Arrays.equals(fast.seal(key, iv.clone(), aad, clear), expected)) {
                return "a value sealed by a new cipher differs from the standard sequence's";
            }
            if (!Arrays.equals(fast.unseal(key, expected, aad), clear)) {
                return "a value did not open after an encryption";
            }
            if (!Arrays.equals(fast.unseal(key, expected, aad), clear)) {
                return "a value did not open after a decryption";
            }
            byte[] iv2 = iv.clone();
            iv2[0] = 13;
            byte[] afterDecryption = fast.seal(key, iv2, aad, clear);
            if (!Arrays.equals(standard.unseal(key, afterDecryption, aad), clear)) {
                return "a value sealed after a decryption does not open in the standard sequence";
            }
            if (opens(fast, key, expected, otherAad)) {
                return "the AAD was not bound after an encryption";
            }
            fast.unseal(key, expected, aad);
            if (opens(fast, key, expected, otherAad)) {
                return "the AAD was not bound after a decryption";
            }
            return null;
        } catch (GeneralSecurityException | RuntimeException e) {
            return SoftHsmToken.rootMessage(e);
        }
    }

    private static boolean opens(TokenGcm gcm, SecretKey key, byte[] wrapped, byte[] aad)
            throws GeneralSecurityException {
        try {
            gcm.unseal(key, wrapped, aad);
            return true;
        } catch (AEADBadTagException expected) {
            gcm.forget();
            return false;
        }
    }
}
