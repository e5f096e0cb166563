package dev.kmsplugin.ports.inbound;

import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.key.KeyId;
import java.util.Objects;
import java.util.Optional;

/**
 * Which KMS API a Decrypt came in on, and what the apiserver stored beside the ciphertext through it. Only a
 * ciphertext that is not this plugin's own needs it: its format depends on the API that wrote it.
 */
public sealed interface Origin {

    /** The key_id the apiserver stored beside the ciphertext; empty for KMS v1beta1. */
    Optional<KeyId> keyId();

    /** The annotations the apiserver stored beside the ciphertext; none for KMS v1beta1. */
    Annotations annotations();

    /** KMS v1beta1: the ciphertext alone. */
    record KmsV1beta1() implements Origin {
        @Override
        public Optional<KeyId> keyId() {
            return Optional.empty();
        }

        @Override
        public Annotations annotations() {
            return Annotations.none();
        }
    }

    /** KMS v2: the key_id and annotations of the Encrypt answer, stored by the apiserver. */
    record KmsV2(Optional<KeyId> keyId, Annotations annotations) implements Origin {
        public KmsV2 {
            Objects.requireNonNull(keyId, "keyId");
            Objects.requireNonNull(annotations, "annotations");
        }
    }
}
