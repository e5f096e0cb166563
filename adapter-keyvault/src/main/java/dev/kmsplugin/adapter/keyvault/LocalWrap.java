package dev.kmsplugin.adapter.keyvault;

import com.azure.security.keyvault.keys.models.JsonWebKey;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * RSA-OAEP-256 wrap in this process with a key version's public key, as read from Key Vault: wrapping is a
 * public-key operation, so it needs no call. The output is exactly what Key Vault's wrapKey with RSA-OAEP-256
 * returns (OAEP with SHA-256 and MGF1 with SHA-256, empty label; the JDK's {@code OAEPWithSHA-256AndMGF1Padding}
 * alone would take MGF1 with SHA-1), so Key Vault unwraps it and nothing about the ciphertext changes. A version is
 * known here only from a key bundle the backend read and checked; before every wrap its enabled flag and its
 * not-before/expiry window are checked against the injected clock. Unwrap never happens here: the private key stays
 * in the vault.
 */
final class LocalWrap {

    static final int MIN_RSA_BITS = KeyChecks.MIN_RSA_BITS;
    private static final int MAX_VERSIONS = 32;
    private static final OAEPParameterSpec RSA_OAEP_256 = new OAEPParameterSpec("SHA-256", "MGF1",
            MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

    private record Known(RSAPublicKey key, boolean enabled, OffsetDateTime notBefore, OffsetDateTime expires) {
    }

    private final Clock clock;
    private final VaultAddress address;
    private final Map<String, Known> versions = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Known> eldest) {
            return size() > MAX_VERSIONS;
        }
    };

    LocalWrap(Clock clock, VaultAddress address) {
        this.clock = clock;
        this.address = address;
    }

    /**
     * Takes the public key and attributes of {@code ref} from a key bundle Key Vault returned for it; the public key
     * object is built once per version. A bundle that does not fit the version (another kid, not RSA, below 2048
     * bits, or other key material than before) is refused and the version forgotten, so it is never wrapped with.
     */
    void remember(KeyRef ref, KeyVaultKey bundle) {
        String what = "key " + ref + " in " + address.canonicalUrl();
        try {
            JsonWebKey jwk = bundle.getKey();
            if (jwk == null) {
                throw new KmsException.Misconfigured(what + ": Key Vault returned no public key; cannot wrap locally "
                        + "(use " + KeyVaultBackendProvider.flag("wrap") + "=remote, or check the vault)");
            }
            String kid = jwk.getId();
            if (kid != null && !kid.isEmpty() && !kid.endsWith("/keys/" + ref.name() + "/" + ref.version())) {
                throw new KmsException.Misconfigured(what + ": the public key Key Vault returned belongs to "
                        + KeyVaultErrors.oneLine(kid) + ", not to this version; it is not used to wrap");
            }
            KeyType type = jwk.getKeyType();
            if (!KeyType.RSA.equals(type) && !KeyType.RSA_HSM.equals(type)) {
                throw new KmsException.Misconfigured(what + " has a public key of type " + type + "; local wrap "
                        + "needs RSA (RSA or RSA-HSM) of " + MIN_RSA_BITS + " bits or more");
            }
            if (jwk.getN() == null || jwk.getE() == null) {
                throw new KmsException.Misconfigured(what + ": the public key lacks its modulus or exponent; "
                        + "it is not used to wrap");
            }
            BigInteger n = new BigInteger(1, jwk.getN());
            BigInteger e = new BigInteger(1, jwk.getE());
            if (n.bitLength() < MIN_RSA_BITS) {
                throw new KmsException.Misconfigured(what + " has a public key of " + n.bitLength() + " bits; "
                        + "wrapping needs RSA of " + MIN_RSA_BITS + " bits or more; it is not used to wrap");
            }
            if (e.signum() <= 0 || !e.testBit(0) || e.compareTo(BigInteger.valueOf(3)) < 0 || e.compareTo(n) >= 0) {
                throw new KmsException.Misconfigured(what + " has an invalid RSA public exponent; it is not used "
                        + "to wrap");
            }
            KeyProperties properties = bundle.getProperties();
            synchronized (versions) {
                Known before = versions.get(ref.version());
                RSAPublicKey key;
                if (before != null) {
                    if (!before.key().getModulus().equals(n) || !before.key().getPublicExponent().equals(e)) {
                        throw new KmsException.Misconfigured(what + ": Key Vault returned other key material than "
                                + "before for the same version; it is not used to wrap");
                    }
                    key = before.key();
                } else {
                    key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
                }
                versions.put(ref.version(), new Known(key, Boolean.TRUE.equals(properties.isEnabled()),
                        properties.getNotBefore(), properties.getExpiresOn()));
            }
        } catch (KmsException e) {
            forget(ref);
            throw e;
        } catch (GeneralSecurityException | RuntimeException e) {
            forget(ref);
            throw new KmsException.Misconfigured(what + ": its public key cannot be used: " + e);
        }
    }

    /**
     * Takes a known version's enabled flag and validity window from the versions listing (the key material is the
     * version's and does not change); an unknown version stays unknown until its bundle is read.
     */
    void attributes(KeyRef ref, KeyProperties properties) {
        synchronized (versions) {
            Known known = versions.get(ref.version());
            if (known != null) {
                versions.put(ref.version(), new Known(known.key(), Boolean.TRUE.equals(properties.isEnabled()),
                        properties.getNotBefore(), properties.getExpiresOn()));
            }
        }
    }

    /** Key Vault said the version is disabled: it is not wrapped with until a key bundle says it is enabled. */
    void disabled(KeyRef ref) {
        synchronized (versions) {
            Known known = versions.get(ref.version());
            if (known != null) {
                versions.put(ref.version(), new Known(known.key(), false, known.notBefore(), known.expires()));
            }
        }
    }

    void forget(KeyRef ref) {
        synchronized (versions) {
            versions.remove(ref.version());
        }
    }

    /** Whether a wrap with {@code ref} now would be refused for its validity window or its enabled flag. */
    boolean usableNow(KeyRef ref) {
        Known known;
        synchronized (versions) {
            known = versions.get(ref.version());
        }
        return known != null && refusal(ref, known) == null;
    }

    /** RSA-OAEP-256 with the version's public key; the caller wipes {@code clear}. */
    byte[] wrap(KeyRef ref, byte[] clear) {
        Known known;
        synchronized (versions) {
            known = versions.get(ref.version());
        }
        if (known == null) {
            throw new KmsException.BackendUnavailable("key " + ref + ": its public key has not been read from Key "
                    + "Vault; cannot wrap locally");
        }
        KmsException refused = refusal(ref, known);
        if (refused != null) {
            throw refused;
        }
        try {
            Cipher cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
            cipher.init(Cipher.ENCRYPT_MODE, known.key(), RSA_OAEP_256);
            return cipher.doFinal(clear);
        } catch (GeneralSecurityException e) {
            throw new KmsException.BackendUnavailable("local RSA-OAEP-256 wrap with key " + ref + " failed: " + e);
        }
    }

    private KmsException refusal(KeyRef ref, Known known) {
        String what = "key " + ref + " in " + address.canonicalUrl();
        if (!known.enabled()) {
            return new KmsException.AccessDenied(what + KeyVaultErrors.DISABLED + "; it is not wrapped with");
        }
        OffsetDateTime now = OffsetDateTime.now(clock);
        if (known.expires() != null && !known.expires().isAfter(now)) {
            return new KmsException.AccessDenied(what + " expired at " + known.expires() + "; it is not wrapped "
                    + "with (versionless mode moves to the newest usable version; otherwise create a new version "
                    + "or extend its expiry)");
        }
        if (known.notBefore() != null && known.notBefore().isAfter(now)) {
            return new KmsException.AccessDenied(what + " is not valid before " + known.notBefore() + "; it is not "
                    + "wrapped with yet");
        }
        return null;
    }
}
