package dev.kmsplugin.ports.inbound;

import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.key.KeyId;
import java.util.Objects;
import java.util.Optional;

/**
 * A ciphertext to unwrap, with the API it came through and what the apiserver stored beside it. KMS v1beta1 has no
 * key id and no annotations: the ciphertext alone then says how to unwrap it.
 */
public record DecryptRequest(Ciphertext ciphertext, Origin origin) {
    public DecryptRequest {
        Objects.requireNonNull(ciphertext, "ciphertext");
        Objects.requireNonNull(origin, "origin");
    }

    /** A KMS v1beta1 request: the ciphertext alone. */
    public static DecryptRequest of(Ciphertext ciphertext) {
        return new DecryptRequest(ciphertext, new Origin.KmsV1beta1());
    }

    /** A KMS v2 request. */
    public static DecryptRequest v2(Ciphertext ciphertext, Optional<KeyId> keyId, Annotations annotations) {
        return new DecryptRequest(ciphertext, new Origin.KmsV2(keyId, annotations));
    }

    public Optional<KeyId> keyId() {
        return origin.keyId();
    }

    public Annotations annotations() {
        return origin.annotations();
    }
}
