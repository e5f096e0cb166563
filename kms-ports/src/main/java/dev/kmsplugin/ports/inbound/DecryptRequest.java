package dev.kmsplugin.ports.inbound;

import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.key.KeyId;
import java.util.Objects;
import java.util.Optional;

/**
 * A ciphertext to unwrap, with what the apiserver stored beside it. KMS v1beta1 has no key id and no annotations:
 * {@code keyId} is then empty and the ciphertext alone says how to unwrap it.
 */
public record DecryptRequest(Ciphertext ciphertext, Optional<KeyId> keyId, Annotations annotations) {
    public DecryptRequest {
        Objects.requireNonNull(ciphertext, "ciphertext");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(annotations, "annotations");
    }

    /** A KMS v1beta1 request: the ciphertext alone. */
    public static DecryptRequest of(Ciphertext ciphertext) {
        return new DecryptRequest(ciphertext, Optional.empty(), Annotations.none());
    }
}
