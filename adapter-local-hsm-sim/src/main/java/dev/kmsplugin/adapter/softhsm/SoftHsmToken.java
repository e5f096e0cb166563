package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;

/**
 * A logged-in session with one SoftHSM token through the JDK's SunPKCS11 provider. Every secret key created here is
 * sensitive and unextractable: its bytes never leave the token. The key store is not thread-safe, so access to it
 * is serialised; ciphers on the keys it returns are used concurrently (SunPKCS11 pools PKCS#11 sessions).
 */
final class SoftHsmToken implements AutoCloseable {

    // What SoftHSM answers once the token's files went away under a session (moved, restored, re-created): the
    // session and every object handle are dead, and only a new session with a new login finds the keys again.
    // SunPKCS11 reports these as a PKCS11Exception named after the code, or as "Token has been removed".
    private static final List<String> SESSION_GONE = List.of("CKR_OBJECT_HANDLE_INVALID", "CKR_KEY_HANDLE_INVALID",
            "CKR_SESSION_HANDLE_INVALID", "CKR_SESSION_CLOSED", "CKR_DEVICE_REMOVED", "CKR_TOKEN_NOT_PRESENT",
            "CKR_USER_NOT_LOGGED_IN", "Token has been removed");

    // Each fresh copy of the library stays mapped until the process ends: a few megabytes. Past this many, a
    // restart is the cheaper cure.
    private static final int MAX_FRESH_LIBRARIES = 8;

    private final SoftHsmInstallation installation;
    private final Path conf;
    private final SoftHsmInstallation.TokenSlot slot;
    private int freshLibraries;
    private final String label;
    private final char[] pin;
    private volatile Provider provider;
    // The library path the current provider loaded: the JDK keeps one PKCS#11 binding per path (DirectGcm's key).
    private volatile String libraryPath;
    private KeyStore keyStore;
    private volatile int generation;

    private SoftHsmToken(SoftHsmInstallation installation, Path conf, SoftHsmInstallation.TokenSlot slot,
            Provider provider, KeyStore keyStore, char[] pin) {
        this.installation = installation;
        this.conf = conf;
        this.slot = slot;
        this.provider = provider;
        this.libraryPath = installation.library().toString();
        this.keyStore = keyStore;
        this.label = slot.label();
        this.pin = pin;
    }

    static SoftHsmToken open(SoftHsmInstallation installation, Path conf, SoftHsmInstallation.TokenSlot slot,
            String pin) {
        char[] pinChars = pin.toCharArray();
        Provider provider = provider(installation.library(), installation, slot);
        return new SoftHsmToken(installation, conf, slot, provider, login(provider, slot, pinChars), pinChars);
    }

    /**
     * Opens the token again: a new SunPKCS11 instance, a new session, a new login. Keys read before are dead
     * afterwards; read them again with {@link #key}. {@link #generation()} counts the re-openings. When the loaded
     * library has given the token up, a fresh copy of it is loaded, but only once {@code softhsm2-util} (a process
     * of its own, which reads the token's files anew) lists the token again, and at most a few times per process.
     */
    synchronized void reopen(Path privateDirectory) {
        Provider fresh;
        Path library = installation.library();
        try {
            fresh = provider(library, installation, slot);
        } catch (KmsException e) {
            if (installation.token(conf, label).filter(t -> t.slot() == slot.slot()).isEmpty()) {
                throw new KmsException.BackendUnavailable("SoftHSM token '" + label + "' is gone: softhsm2-util,"
                        + " reading " + conf + ", does not list it; were its files under the token directory moved"
                        + " or removed?");
            }
            if (freshLibraries >= MAX_FRESH_LIBRARIES) {
                throw new KmsException.BackendUnavailable("SoftHSM token '" + label + "' is back, but this process"
                        + " has loaded SoftHSM afresh " + MAX_FRESH_LIBRARIES + " times already; restart the plugin");
            }
            freshLibraries++;
            library = freshLibrary(privateDirectory);
            try {
                fresh = provider(library, installation, slot);
            } finally {
                removeQuietly(library);
            }
        }
        keyStore = login(fresh, slot, pin);
        provider = fresh;
        libraryPath = library.toString();
        generation++;
    }

    /** How often the token was re-opened; a key read under an older generation is dead. */
    int generation() {
        return generation;
    }

    /** Whether {@code failure} says the session or its object handles are gone, so re-opening may help. */
    static boolean sessionGone(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (SESSION_GONE.stream().anyMatch(message::contains)) {
                return true;
            }
        }
        return false;
    }

    /**
     * SoftHSM marks a token whose files vanished as invalid for good, within the process that had it loaded, and
     * SunPKCS11 initialises a library only once per path; so the token can only be seen again through a second copy
     * of the library, which initialises afresh and reads the token's files anew. The copy is made in the
     * simulator directory, which only this user (or root) can write to, and removed once loaded.
     */
    private Path freshLibrary(Path privateDirectory) {
        Path copy = null;
        try {
            copy = Files.createTempFile(privateDirectory, ".libsofthsm2-", ".so",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.copy(installation.library(), copy, StandardCopyOption.REPLACE_EXISTING);
            return copy;
        } catch (IOException e) {
            if (copy != null) {
                removeQuietly(copy);
            }
            throw new KmsException.BackendUnavailable("cannot copy " + installation.library() + " into "
                    + privateDirectory + " to load SoftHSM afresh: " + e.getMessage(), e);
        }
    }

    private static void removeQuietly(Path copy) {
        try {
            Files.deleteIfExists(copy);
        } catch (IOException e) {
            // a leftover copy in a private directory harms nothing
        }
    }

    private static Provider provider(Path library, SoftHsmInstallation installation,
            SoftHsmInstallation.TokenSlot slot) {
        String config = "--name=kms-sim\n"
                + "library=" + library + "\n"
                + "slot=" + slot.slot() + "\n"
                // keys are sensitive and never extractable, whatever creates them
                + "attributes(*,CKO_SECRET_KEY,*) = {\n"
                + "  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n"
                + "}\n"
                // The only secret key ever imported is TokenGcm's primer, which guards nothing: public, so that
                // SoftHSM does not decrypt its value on every use. Stored versions are generated in the token and
                // stored private (SunPKCS11's key store sets CKA_PRIVATE on them), never imported.
                + "attributes(import,CKO_SECRET_KEY,CKK_AES) = {\n"
                + "  CKA_PRIVATE = false\n"
                + "}\n";
        try {
            return Security.getProvider("SunPKCS11").configure(config);
        } catch (ProviderException e) {
            throw new KmsException.BackendUnavailable("cannot open SoftHSM token '" + slot.label() + "' in slot "
                    + slot.slot() + " through " + installation.library() + ": " + rootMessage(e), e);
        }
    }

    private static KeyStore login(Provider provider, SoftHsmInstallation.TokenSlot slot, char[] pin) {
        try {
            KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
            keyStore.load(null, pin);
            return keyStore;
        } catch (IOException | GeneralSecurityException | ProviderException e) {
            throw loginFailure(slot.label(), e);
        }
    }

    Provider provider() {
        return provider;
    }

    /** The path of the PKCS#11 library the current provider loaded. */
    String libraryPath() {
        return libraryPath;
    }

    /** The token's PKCS#11 slot. */
    long slotId() {
        return slot.slot();
    }

    /** Every version of {@code keyName} in the token, oldest first, re-read from the token. */
    synchronized List<VersionLabel> versions(String keyName) {
        reload();
        List<VersionLabel> versions = new ArrayList<>();
        try {
            for (String alias : Collections.list(keyStore.aliases())) {
                VersionLabel.parse(alias).filter(v -> v.keyName().equals(keyName)).ifPresent(versions::add);
            }
        } catch (GeneralSecurityException e) {
            throw new KmsException.BackendUnavailable("cannot list the objects of token '" + label + "': "
                    + rootMessage(e), e);
        }
        versions.sort(Comparator.comparingInt(VersionLabel::number));
        return versions;
    }

    /** The token object holding {@code version}. */
    synchronized SecretKey key(VersionLabel version) {
        try {
            Key key = keyStore.getKey(version.label(), null);
            if (!(key instanceof SecretKey secret)) {
                throw new KmsException.UnknownKeyVersion("token '" + label + "' has no secret key " + version.label());
            }
            return secret;
        } catch (GeneralSecurityException e) {
            throw new KmsException.BackendUnavailable("cannot read key " + version.label() + " from token '" + label
                    + "': " + rootMessage(e), e);
        }
    }

    /** Generates the next version of {@code keyName} inside the token and stores it as a token object. */
    synchronized VersionLabel generate(String keyName, Instant now) {
        List<VersionLabel> existing = versions(keyName);
        int number = existing.isEmpty() ? 1 : existing.get(existing.size() - 1).number() + 1;
        VersionLabel version = VersionLabel.next(keyName, number, now);
        try {
            KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
            generator.init(256);
            SecretKey key = generator.generateKey();
            keyStore.setEntry(version.label(), new KeyStore.SecretKeyEntry(key), null);
            return version;
        } catch (GeneralSecurityException | ProviderException e) {
            throw new KmsException.BackendUnavailable("cannot generate key " + version.label() + " in token '"
                    + label + "': " + rootMessage(e), e);
        }
    }

    // Another process (a `sim rotate`) may have added objects: SoftHSM's file store shows them after a reload.
    private void reload() {
        try {
            keyStore.load(null, pin);
        } catch (IOException | GeneralSecurityException | ProviderException e) {
            throw loginFailure(label, e);
        }
    }

    /**
     * Forgets the PIN. It does not log out: PKCS#11 login state belongs to the whole process, so a logout here would
     * also log out every other user of the token in this process; the login ends with the process.
     */
    @Override
    public synchronized void close() {
        java.util.Arrays.fill(pin, '\0');
    }

    private static KmsException loginFailure(String label, Exception e) {
        String why = rootMessage(e);
        if (why.contains("CKR_PIN_INCORRECT")) {
            return new KmsException.Misconfigured("the user PIN is wrong for SoftHSM token '" + label
                    + "'; check " + SimSettings.flag("pin-file") + " or KMS_SIM_PIN");
        }
        if (why.contains("CKR_PIN_LOCKED")) {
            return new KmsException.Misconfigured("the user PIN of SoftHSM token '" + label
                    + "' is locked after too many wrong attempts; reset it with softhsm2-util --init-pin");
        }
        return new KmsException.BackendUnavailable("cannot log in to SoftHSM token '" + label + "': " + why, e);
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
