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

/**
 * AES-256-GCM with the token's key objects: the wrapped key is {@code IV (12) || ciphertext || tag (16)} with the
 * ciphertext header as AAD. Calls go to the token through the JDK's PKCS#11 binding directly ({@link DirectGcm}),
 * or, where the JVM does not allow that, through SunPKCS11's cipher ({@link TokenGcm}); the bytes are the same. When
 * the token says its session or key handles are gone (its files were moved away and back, say), it opens the token
 * again, reads the versions again and tries once more.
 */
final class TokenCipher {

    private static final Logger LOG = System.getLogger(TokenCipher.class.getName());
    static final int IV_BYTES = TokenGcm.IV_BYTES;
    private static final int TAG_BITS = TokenGcm.TAG_BITS;
    private static final Duration MIN_REOPEN_INTERVAL = Duration.ofSeconds(1);

    /** A token operation with one version's key object, which may find the session gone. */
    @FunctionalInterface
    private interface TokenOperation<T> {
        T run(TokenVersions.Version version) throws GeneralSecurityException;
    }

    /** The direct PKCS#11 path of one token generation, or null where it is not available. */
    private record Direct(int generation, DirectGcm gcm) {
    }

    private final SimSettings settings;
    private final SoftHsmToken token;
    private final TokenVersions versions;
    private final Clock clock;
    private final Consumer<KmsException> tokenLost;
    private final SecureRandom random = new SecureRandom();
    // SunPKCS11's cipher path, made on first use: only where the direct path is not available.
    private volatile TokenGcm gcm;
    private volatile Direct direct;
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
    }

    /** Closes the direct path's idle sessions (the process's end would too). */
    void close() {
        DirectGcm opened = opened();
        if (opened != null) {
            opened.close();
        }
    }

    /** Why the token is unusable, or null while it is open. */
    KmsException lost() {
        return lost;
    }

    byte[] wrap(TokenVersions.Version version, byte[] clear, byte[] aad) {
        byte[] iv = new byte[IV_BYTES];
        random.nextBytes(iv);
        return againIfSessionGone("wrap under", version, v -> {
            DirectGcm fast = direct(v);
            return fast != null ? fast.seal(v, iv, aad, clear) : gcm().seal(v.key(), iv, aad, clear);
        });
    }

    Plaintext unwrap(TokenVersions.Version version, SealedDataKey sealed) {
        return sealed.read((wrapped, header) -> againIfSessionGone("unwrap under", version, v -> {
            DirectGcm fast = direct(v);
            TokenGcm cipher = fast == null ? gcm() : null;
            byte[] clear;
            try {
                clear = fast != null ? fast.unseal(v, wrapped, header) : cipher.unseal(v.key(), wrapped, header);
            } catch (AEADBadTagException e) {
                if (cipher != null) {
                    cipher.forget();
                }
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
            return operation.run(version);
        } catch (GeneralSecurityException | ProviderException e) {
            forgetCipher();
            if (!SoftHsmToken.sessionGone(e) || !reopened(generation, e)) {
                throw tokenFailure(what + " " + version.version().ref(), e);
            }
        }
        // The token was opened again: the version's key object is a new one.
        try {
            return operation.run(versions.version(version.version().ref()));
        } catch (GeneralSecurityException | ProviderException e) {
            forgetCipher();
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

    /**
     * The direct PKCS#11 path for the token as it is open now, proven once per generation with the first version
     * used; null when it is not available (calls then take SunPKCS11's cipher).
     */
    private DirectGcm direct(TokenVersions.Version version) {
        Direct current = direct;
        int generation = token.generation();
        if (current == null || current.generation() != generation) {
            synchronized (this) {
                current = direct;
                if (current == null || current.generation() != generation) {
                    close();
                    current = new Direct(generation, DirectGcm.open(token, version));
                    direct = current;
                }
            }
        }
        return current.gcm();
    }

    /** Whether calls take the direct PKCS#11 path (proven on this JDK) rather than SunPKCS11's cipher. */
    boolean direct() {
        return opened() != null;
    }

    /** The direct path as last opened (perhaps for an older generation), or null. */
    private DirectGcm opened() {
        Direct current = direct;
        return current == null ? null : current.gcm();
    }

    // Ciphers of an older SunPKCS11 instance would use the dead session: make them for the current instance.
    private TokenGcm gcm() {
        TokenGcm current = gcm;
        Provider provider = token.provider();
        if (current == null || current.provider() != provider) {
            synchronized (this) {
                current = gcm;
                if (current == null || current.provider() != provider) {
                    current = TokenGcm.open(provider);
                    gcm = current;
                }
            }
        }
        return current;
    }

    // A cipher that threw is dropped (its thread makes a new one); the direct path closes its own failed sessions.
    private void forgetCipher() {
        TokenGcm current = gcm;
        if (current != null) {
            current.forget();
        }
    }

    private static KmsException tokenFailure(String what, Exception e) {
        return new KmsException.BackendUnavailable("SoftHSM failed to " + what + ": " + SoftHsmToken.rootMessage(e), e);
    }
}
