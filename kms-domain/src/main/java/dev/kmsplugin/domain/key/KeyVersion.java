package dev.kmsplugin.domain.key;

import java.util.Objects;

/**
 * One version of the key-encryption key as the core uses it: the reference a ciphertext records, the KMS v2
 * key_id the apiserver stores beside every object, and the algorithm that wraps under it. A backend builds it once
 * per version, so a request asks the backend for the current version once and has everything it needs.
 */
public record KeyVersion(KeyRef ref, KeyId keyId, Algorithm algorithm) {

    public KeyVersion {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(algorithm, "algorithm");
    }

    @Override
    public String toString() {
        return ref + " (key_id " + keyId + ")";
    }
}
