package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * One logged-in SoftHSM token seen through the JDK's SunPKCS11 provider. Every PKCS#11 detail of the adapter lives
 * here; callers see key versions and byte arrays.
 *
 * <p>Each key version is one AES-256 secret key object, generated inside the token as sensitive and
 * non-extractable, with {@code CKA_LABEL = <key name>#<version>#<created, ISO-8601 UTC>}.
 *
 * <p>Thread-safe: SunPKCS11 keeps its own pool of PKCS#11 sessions and each operation takes a fresh
 * {@link Cipher}; docs/simulator.md has the measurements.
 */
final class Token implements AutoCloseable {

    static final int IV_BYTES = 12;
    static final int TAG_BITS = 128;
    static final String TRANSFORMATION = "AES/GCM/NoPadding";

    private final Provider provider;
    private final SimDirectory.Pin pin;
    private final String description;

    private Token(Provider provider, SimDirectory.Pin pin, String description) {
        this.provider = provider;
        this.pin = pin;
        this.description = description;
    }

    /** Loads the library (once per process), opens the slot and logs in as the user. */
    static Token open(Path library, long slot, String label, SimDirectory.Pin pin) {
        // CKA_SENSITIVE and CKA_EXTRACTABLE for every AES key the provider generates or copies into the token.
        String config = "--name=kms-hsm-sim\n"
                + "library = \"" + library + "\"\n"
                + "slot = " + slot + "\n"
                + "attributes(*,CKO_SECRET_KEY,CKK_AES) = {\n"
                + "  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n"
                + "}\n";
        Provider provider;
        try {
            provider = Security.getProvider("SunPKCS11").configure(config);
        } catch (ProviderException | IllegalArgumentException e) {
            String code = code(e).orElse("");
            if (code.equals("CKR_SLOT_ID_INVALID") || code.equals("CKR_TOKEN_NOT_PRESENT")) {
                throw new KmsException.Misconfigured("the token '" + label + "' (slot " + slot + ") is not visible to "
                        + "SoftHSM in this process; SOFTHSM2_CONF must name the simulator directory's softhsm2.conf "
                        + "before the plugin starts", e);
            }
            if (code.isEmpty()) {
                throw new KmsException.Misconfigured("cannot load the SoftHSM2 library " + library + ": "
                        + rootMessage(e) + "; " + SoftHsmInstallation.INSTALL_HINT + ", or pass --sim-library=PATH", e);
            }
            throw new KmsException.BackendUnavailable("SoftHSM failed to open the token '" + label + "': " + code, e);
        }
        Token token = new Token(provider, pin, "token '" + label + "' (slot " + slot + ")");
        token.keyStore();
        return token;
    }

    /** The versions of {@code keyName} in the token, oldest first. */
    List<KeyVersion> versions(String keyName) {
        KeyStore store = keyStore();
        List<KeyVersion> versions = new ArrayList<>();
        try {
            for (String alias : Collections.list(store.aliases())) {
                Optional<Label> label = Label.parse(alias);
                if (label.isEmpty() || !label.get().keyName().equals(keyName) || !store.isKeyEntry(alias)) {
                    continue;
                }
                SecretKey key = (SecretKey) store.getKey(alias, null);
                versions.add(new KeyVersion(label.get().version(), label.get().created(), key));
            }
        } catch (GeneralSecurityException | ProviderException | ClassCastException e) {
            throw failure("reading the key versions", e);
        }
        versions.sort(Comparator.comparingInt(KeyVersion::number));
        return versions;
    }

    /** Generates a new AES-256 key inside the token and stores it as a token object for {@code version}. */
    KeyVersion generate(String keyName, int version, Instant created) {
        Instant createdSeconds = created.truncatedTo(ChronoUnit.SECONDS);
        String label = new Label(keyName, version, createdSeconds).toString();
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
            generator.init(256);
            SecretKey sessionKey = generator.generateKey();
            KeyStore store = keyStore();
            // setEntry copies the session key into a token object (CKA_TOKEN = true) labelled with the alias.
            store.setEntry(label, new KeyStore.SecretKeyEntry(sessionKey), null);
            SecretKey stored = (SecretKey) store.getKey(label, null);
            return new KeyVersion(version, createdSeconds, stored);
        } catch (GeneralSecurityException | ProviderException e) {
            throw failure("generating key version " + version, e);
        }
    }

    byte[] encrypt(SecretKey key, byte[] iv, byte[] aad, byte[] plaintext) {
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION, provider);
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(aad);
            return cipher.doFinal(plaintext);
        } catch (GeneralSecurityException | ProviderException e) {
            throw failure("wrapping a data key", e);
        }
    }

    /** Fails with {@link KmsException.IntegrityFailure} when the tag does not authenticate bytes and AAD. */
    byte[] decrypt(SecretKey key, byte[] iv, byte[] aad, byte[] ciphertextAndTag) {
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION, provider);
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(aad);
            return cipher.doFinal(ciphertextAndTag);
        } catch (AEADBadTagException e) {
            throw new KmsException.IntegrityFailure("the wrapped data key failed authentication: the ciphertext was "
                    + "altered, or was not written with this key version", e);
        } catch (GeneralSecurityException | ProviderException e) {
            throw failure("unwrapping a data key", e);
        }
    }

    /** For tests that prove the key bytes cannot leave the token. */
    Provider provider() {
        return provider;
    }

    String describe() {
        return description;
    }

    /**
     * Leaves the login in place on purpose: PKCS#11 login state belongs to the whole process, so logging out here
     * would invalidate the key handles of every other user of this token in the process (measured: the next
     * operation fails with CKR_OBJECT_HANDLE_INVALID). The library's sessions end with the process.
     */
    @Override
    public void close() {
    }

    /** Logs in again after the process lost its login (e.g. a logout elsewhere); the next read finds new handles. */
    void login() {
        keyStore();
    }

    /** Whether {@code e} means the key handles are stale and a new login and read would fix it. */
    static boolean staleHandles(Throwable e) {
        String code = code(e).orElse("");
        return code.equals("CKR_OBJECT_HANDLE_INVALID") || code.equals("CKR_KEY_HANDLE_INVALID")
                || code.equals("CKR_USER_NOT_LOGGED_IN") || code.equals("CKR_SESSION_HANDLE_INVALID");
    }

    private KeyStore keyStore() {
        try {
            KeyStore store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin.value());
            return store;
        } catch (IOException | GeneralSecurityException | ProviderException e) {
            String code = code(e).orElse("");
            switch (code) {
                case "CKR_PIN_INCORRECT" -> throw new KmsException.AccessDenied("the " + description
                        + " refused the PIN from " + pin.source() + " (wrong PIN); give the PIN the token was created "
                        + "with (--sim-pin-file, or the user.pin in the simulator directory)", e);
                case "CKR_PIN_LOCKED" -> throw new KmsException.AccessDenied("the user PIN of the " + description
                        + " is locked after too many wrong attempts; reset it with softhsm2-util using the SO PIN "
                        + "in so.pin, or create a new simulator directory", e);
                default -> throw failure("logging in", e);
            }
        }
    }

    private KmsException failure(String doing, Throwable e) {
        String code = code(e).orElse(rootMessage(e));
        if (code.equals("CKR_TOKEN_NOT_PRESENT") || code.equals("CKR_DEVICE_REMOVED")
                || code.equals("CKR_SLOT_ID_INVALID")) {
            return new KmsException.BackendUnavailable("the " + description + " disappeared while " + doing
                    + " (" + code + "); was the simulator directory deleted?", e);
        }
        return new KmsException.BackendUnavailable("the " + description + " failed while " + doing + ": " + code, e);
    }

    /** The PKCS#11 return value (e.g. CKR_PIN_INCORRECT) somewhere in the cause chain, if any. */
    static Optional<String> code(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null) {
                int at = message.indexOf("CKR_");
                if (at >= 0) {
                    int end = at;
                    while (end < message.length()
                            && (Character.isLetterOrDigit(message.charAt(end)) || message.charAt(end) == '_')) {
                        end++;
                    }
                    return Optional.of(message.substring(at, end));
                }
            }
        }
        return Optional.empty();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /** One key version in the token. */
    record KeyVersion(int number, Instant created, SecretKey key) {
    }

    /** {@code CKA_LABEL} of a key version: {@code <key name>#<version>#<created>}; key names never contain '#'. */
    record Label(String keyName, int version, Instant created) {

        static Optional<Label> parse(String text) {
            int second = text.lastIndexOf('#');
            int first = second < 0 ? -1 : text.lastIndexOf('#', second - 1);
            if (first <= 0) {
                return Optional.empty();
            }
            try {
                int version = Integer.parseInt(text.substring(first + 1, second));
                if (version < 1) {
                    return Optional.empty();
                }
                return Optional.of(new Label(text.substring(0, first), version, Instant.parse(text.substring(second + 1))));
            } catch (NumberFormatException | DateTimeParseException e) {
                return Optional.empty();
            }
        }

        @Override
        public String toString() {
            return keyName + "#" + version + "#" + created;
        }
    }
}
