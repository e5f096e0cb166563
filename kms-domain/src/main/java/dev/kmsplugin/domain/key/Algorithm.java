package dev.kmsplugin.domain.key;

import dev.kmsplugin.domain.failure.KmsException;

/**
 * How a data key was wrapped by the key-encryption key. The code is written into every ciphertext, so codes are
 * never reused or renumbered; new algorithms take new codes.
 */
public enum Algorithm {
    /** AES-256-GCM inside the token, 12-byte IV, 128-bit tag, the ciphertext header as AAD (the simulator). */
    AES_256_GCM(1),
    /** RSA-OAEP with SHA-256 and MGF1-SHA-256 (Key Vault and Managed HSM {@code RSA-OAEP-256}). */
    RSA_OAEP_256(2);

    private final int code;

    Algorithm(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Every algorithm, once: {@code values()} copies its array on each call, and every Decrypt looks one up. */
    private static final Algorithm[] ALL = values();

    public static Algorithm ofCode(int code) {
        for (Algorithm algorithm : ALL) {
            if (algorithm.code == code) {
                return algorithm;
            }
        }
        throw new KmsException.InvalidInput("ciphertext names wrapping algorithm " + code
                + ", which this plugin does not know; was it written by a newer release?");
    }
}
