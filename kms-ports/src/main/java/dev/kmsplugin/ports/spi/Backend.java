package dev.kmsplugin.ports.spi;

import dev.kmsplugin.ports.outbound.ForeignCiphertexts;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link BackendProvider} makes: the key-encryption keys, and the optional ports only some backends offer.
 *
 * @param keys               wraps and unwraps data keys
 * @param foreignCiphertexts reads another plugin's ciphertexts, for operators who migrated from it
 */
public record Backend(KeyEncryptionKeys keys, Optional<ForeignCiphertexts> foreignCiphertexts) {

    public Backend {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(foreignCiphertexts, "foreignCiphertexts");
    }

    /** A backend that reads only this plugin's ciphertexts. */
    public static Backend of(KeyEncryptionKeys keys) {
        return new Backend(keys, Optional.empty());
    }
}
