package dev.kmsplugin.adapter.etcd.storage;

import dev.kmsplugin.domain.key.KeyRef;
import java.util.Optional;

/** What one value in etcd depends on, as far as its bytes say without decrypting anything. */
public sealed interface StoredValue {

    /** Stored in the clear: no {@code k8s:enc:} prefix (protobuf starting {@code k8s\0}, or JSON). */
    record Identity() implements StoredValue {
    }

    /** Encrypted by a provider other than KMS, e.g. {@code aescbc:v1:key1}. */
    record OtherProvider(String type, String name) implements StoredValue {
        /** The map key of {@code other_providers}: {@code type:v1:name}. */
        public String label() {
            return type + ":v1:" + name;
        }
    }

    /**
     * Written through a KMS provider.
     *
     * @param provider   the EncryptionConfiguration name after {@code k8s:enc:kms:vN:}
     * @param api        {@code v1} or {@code v2}
     * @param keyId      the v2 {@code keyID}, empty for v1
     * @param sealedWith the key and version named by this plugin's ciphertext header, empty when the DEK was not
     *                   sealed by this plugin (then the key ID, if any, is the only way to find the version)
     * @param ours       true when the sealed DEK carries this plugin's header
     */
    record Kms(String provider, String api, Optional<String> keyId, Optional<KeyRef> sealedWith, boolean ours)
            implements StoredValue {
    }

    /** Claims a KMS (or other encrypting) prefix but does not parse: data at risk, reported, never guessed at. */
    record Unreadable(String reason) implements StoredValue {
    }
}
