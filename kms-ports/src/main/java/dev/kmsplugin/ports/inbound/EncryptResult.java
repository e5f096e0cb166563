package dev.kmsplugin.ports.inbound;

import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.key.KeyId;
import java.util.Objects;

/** A wrapped data key with the key id (KMS v2 {@code key_id}) and annotations to store beside it. */
public record EncryptResult(Ciphertext ciphertext, KeyId keyId, Annotations annotations) {
    public EncryptResult {
        Objects.requireNonNull(ciphertext, "ciphertext");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(annotations, "annotations");
    }
}
