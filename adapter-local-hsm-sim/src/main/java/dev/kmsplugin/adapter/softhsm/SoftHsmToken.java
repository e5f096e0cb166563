package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
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

    private final Provider provider;
    private final KeyStore keyStore;
    private final String label;
    private final char[] pin;

    private SoftHsmToken(Provider provider, KeyStore keyStore, String label, char[] pin) {
        this.provider = provider;
        this.keyStore = keyStore;
        this.label = label;
        this.pin = pin;
    }

    static SoftHsmToken open(SoftHsmInstallation installation, SoftHsmInstallation.TokenSlot slot, String pin) {
        String config = "--name=kms-sim\n"
                + "library=" + installation.library() + "\n"
                + "slot=" + slot.slot() + "\n"
                // keys are sensitive and never extractable, whatever creates them
                + "attributes(*,CKO_SECRET_KEY,*) = {\n"
                + "  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n"
                + "}\n";
        Provider provider;
        try {
            provider = Security.getProvider("SunPKCS11").configure(config);
        } catch (ProviderException e) {
            throw new KmsException.BackendUnavailable("cannot open SoftHSM token '" + slot.label() + "' in slot "
                    + slot.slot() + " through " + installation.library() + ": " + rootMessage(e), e);
        }
        char[] pinChars = pin.toCharArray();
        try {
            KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
            keyStore.load(null, pinChars);
            return new SoftHsmToken(provider, keyStore, slot.label(), pinChars);
        } catch (IOException | GeneralSecurityException | ProviderException e) {
            throw loginFailure(slot.label(), e);
        }
    }

    Provider provider() {
        return provider;
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
                    + "'; check --sim-pin-file or KMS_SIM_PIN");
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
