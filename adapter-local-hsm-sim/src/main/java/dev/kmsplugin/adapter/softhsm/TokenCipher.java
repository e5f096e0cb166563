package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Consumer;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM with the token's key objects: the wrapped key is {@code IV (12) || ciphertext || tag (16)} with the
 * ciphertext header as AAD. When the token says its session or key handles are gone (its files were moved away and
 * back, say), it opens the token again, reads the versions again and tries once more.
 */
final class TokenCipher {

    private static final Logger LOG = System.getLogger(TokenCipher.class.getName());
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Duration MIN_REOPEN_INTERVAL = Duration.ofSeconds(1);

    /** A token operation with one version's key object, which may find the session gone. */
    @FunctionalInterface
    private interface TokenOperation<T> {
        T run(SecretKey key) throws GeneralSecurityException;
    }

    private final SimSettings settings;
    private final SoftHsmToken token;
    private final TokenVersions versions;
    private final Clock clock;
    private final Consumer<KmsException> tokenLost;
    private final SecureRandom random = new SecureRandom();
    private final ThreadLocal<Cipher> ciphers;
    private Instant lastReopen;
    // Set when the token's session was gone and opening it again failed; cleared when a re-open works.
    private volatile KmsException lost;

    /** @param tokenLost told when the token cannot be opened again (health fails at once) */
    TokenCipher(SimSettings settings, SoftHsmToken token, TokenVersions versions, Clock clock,
                Consumer<KmsException> tokenLost) {
        this.settings = settings;
        this.token = token;
        this.versions = versions;
        this.clock = clock;
        this.tokenLost = tokenLost;
        this.ciphers = ThreadLocal.withInitial(this::newCipher);
    }

    /** Why the token is unusable, or null while it is open. */
    KmsException lost() {
        return lost;
    }

    byte[] wrap(TokenVersions.Version version, byte[] clear, byte[] aad) {
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        return againIfSessionGone("wrap under", version, key -> {
            Cipher cipher = cipher();
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(aad);
            byte[] sealed = cipher.doFinal(clear);
            byte[] wrapped = Arrays.copyOf(iv, IV_BYTES + sealed.length);
            System.arraycopy(sealed, 0, wrapped, IV_BYTES, sealed.length);
            return wrapped;
        });
    }

    Plaintext unwrap(TokenVersions.Version version, SealedDataKey sealed) {
        return sealed.read((wrapped, header) -> againIfSessionGone("unwrap under", version, key -> {
            Cipher cipher = cipher();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, wrapped, 0, IV_BYTES));
            cipher.updateAAD(header);
            byte[] clear;
            try {
                clear = cipher.doFinal(wrapped, IV_BYTES, wrapped.length - IV_BYTES);
            } catch (AEADBadTagException e) {
                ciphers.remove();
                throw new KmsException.IntegrityFailure("the wrapped key failed authentication under key version "
                        + version.version().ref() + ": the ciphertext was altered, or was not produced with this"
                        + " token");
            }
            try {
                return new Plaintext(clear);
            } finally {
                Arrays.fill(clear, (byte) 0);
            }
        }));
    }

    /** The shortest wrapped key AES-256-GCM can produce: IV, one byte, tag. */
    static int minWrappedBytes() {
        return IV_BYTES + TAG_BITS / 8 + 1;
    }

    /**
     * Runs {@code operation}; when the session is gone, opens the token again and runs it once more. Re-opening
     * happens at most once a second, so a token that stays gone costs one attempt a second, not one per call.
     */
    private <T> T againIfSessionGone(String what, TokenVersions.Version version, TokenOperation<T> operation) {
        int generation = token.generation();
        try {
            return operation.run(version.key());
        } catch (GeneralSecurityException | ProviderException e) {
            ciphers.remove();
            if (!SoftHsmToken.sessionGone(e) || !reopened(generation, e)) {
                throw tokenFailure(what + " " + version.version().ref(), e);
            }
        }
        // The token was opened again: the version's key object is a new one.
        try {
            return operation.run(versions.version(version.version().ref()).key());
        } catch (GeneralSecurityException | ProviderException e) {
            ciphers.remove();
            throw tokenFailure(what + " " + version.version().ref(), e);
        }
    }

    /** Whether the token is now open under a newer generation than {@code generation}, re-opening it if due. */
    private boolean reopened(int generation, Exception failure) {
        synchronized (versions.lock()) {
            if (token.generation() != generation) {
                return true;
            }
            Instant now = clock.instant();
            if (lastReopen != null && Duration.between(lastReopen, now).compareTo(MIN_REOPEN_INTERVAL) < 0) {
                return false;
            }
            lastReopen = now;
            LOG.log(Level.WARNING, "the session with " + settings.describe() + " is gone ("
                    + SoftHsmToken.rootMessage(failure) + "); opening the token again");
            try {
                token.reopen(settings.directory());
                versions.read(false);
                lost = null;
                LOG.log(Level.INFO, "opened " + settings.describe() + " again");
                return true;
            } catch (KmsException e) {
                lost = e;
                tokenLost.accept(e);
                LOG.log(Level.WARNING, "cannot open " + settings.describe() + " again: " + e.getMessage());
                return false;
            }
        }
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
