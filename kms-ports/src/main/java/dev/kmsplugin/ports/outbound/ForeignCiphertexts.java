package dev.kmsplugin.ports.outbound;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.ports.inbound.Origin;

/**
 * Reads ciphertexts that do not carry this plugin's format: those another plugin wrote before the operator
 * migrated. Optional: only a backend that can read them offers it, and how depends on the API the apiserver used
 * to store them, which {@code origin} states.
 */
public interface ForeignCiphertexts {

    /** Decrypts {@code ciphertext}; fails with a {@link dev.kmsplugin.domain.failure.KmsException}. */
    Plaintext decrypt(Ciphertext ciphertext, Origin origin, CallContext call);
}
