package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.function.Consumer;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;

/**
 * AES-256-GCM with the token's key objects: the wrapped key is {@code IV (12) || ciphertext || tag (16)} with the
 * ciphertext header as AAD. When the token says its session or key handles are gone (its files were moved away and
 * back, say), it opens the token again, reads the versions again and tries once more.
 */
final class TokenCipher {

    private static final Logger LOG = System.getLogger(TokenCipher.class.getName());
    static final int IV_BYTES = TokenGcm.IV_BYTES;
    private static final int TAG_BITS = TokenGcm.TAG_BITS;
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
    private volatile TokenGcm gcm;
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
        this.gcm = TokenGcm.open(token.provider());
    }

    /** Why the token is unusable, or null while it is open. */
    KmsException lost() {
        return lost;
    }

    byte[] wrap(TokenVersions.Version version, byte[] clear, byte[] aad) {
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        return againIfSessionGone("wrap under", version, key -> gcm().seal(key, iv, aad, clear));
    }

    Plaintext unwrap(TokenVersions.Version version, SealedDataKey sealed) {
        return sealed.read((wrapped, header) -> againIfSessionGone("unwrap under", version, key -> {
            TokenGcm gcm = gcm();
            byte[] clear;
            try {
                clear = gcm.unseal(key, wrapped, header);
            } catch (AEADBadTagException e) {
                gcm.forget();
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
            gcm.forget();
            if (!SoftHsmToken.sessionGone(e) || !reopened(generation, e)) {
                throw tokenFailure(what + " " + version.version().ref(), e);
            }
        }
        // The token was opened again: the version's key object is a new one.
        try {
            return operation.run(versions.version(version.version().ref()).key());
        } catch (GeneralSecurityException | ProviderException e) {
            gcm.forget();
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

    // Ciphers of an older SunPKCS11 instance would use the dead session: make them for the current instance.
    private TokenGcm gcm() {
        TokenGcm current = gcm;
        Provider provider = token.provider();
        if (current.provider() != provider) {
            synchronized (this) {
                current = gcm;
                if (current.provider() != provider) {
                    current = TokenGcm.open(provider);
                    gcm = current;
                }
            }
        }
        return current;
    }

    private static KmsException tokenFailure(String what, Exception e) {
        return new KmsException.BackendUnavailable("SoftHSM failed to " + what + ": " + SoftHsmToken.rootMessage(e), e);
    }
}
