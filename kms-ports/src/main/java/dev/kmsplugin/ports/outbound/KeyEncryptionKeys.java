package dev.kmsplugin.ports.outbound;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;

/**
 * A key-encryption key held by an HSM, in all its versions: the one thing the core needs from a backend.
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>{@link #currentKey()}, {@link #keyId(KeyRef)} and {@link #health()} answer from memory: the apiserver polls
 *       Status every minute and must not cost a backend call. Backends refresh the current version and probe
 *       health in the background.</li>
 *   <li>{@link #wrap} and {@link #unwrap} do the real work inside the HSM and stop retrying when
 *       {@link CallContext#remaining()} runs out.</li>
 *   <li>Any key version that ever wrapped data stays usable for {@link #unwrap}: rotation never strands data.</li>
 *   <li>Failures are {@link KmsException}s whose messages name no secret.</li>
 * </ul>
 */
public interface KeyEncryptionKeys extends AutoCloseable {

    /** One line for logs, naming the backend and key but nothing secret. */
    String describe();

    /** The algorithm {@link #wrap} uses; written into every ciphertext. */
    Algorithm algorithm();

    /** The key version new data keys are wrapped with. */
    KeyRef currentKey();

    /** The KMS v2 key_id of a key version: stable, secret-free, different for every version. */
    KeyId keyId(KeyRef key);

    /**
     * Wraps a data key under {@code key}. {@code aad} is the ciphertext header; backends with authenticated
     * encryption bind it, others ignore it.
     */
    byte[] wrap(KeyRef key, Plaintext dataKey, byte[] aad, CallContext call);

    /** Reverses {@link #wrap}; fails with {@link KmsException.IntegrityFailure} when the bytes were altered. */
    Plaintext unwrap(KeyRef key, Algorithm algorithm, byte[] wrapped, byte[] aad, CallContext call);

    /** The last probe's result, from memory. */
    Health health();

    /**
     * Decrypts a ciphertext that does not carry this plugin's format (for example one written by an earlier plugin
     * the operator migrated from). The default refuses it.
     */
    default Plaintext decryptForeign(Ciphertext ciphertext, Annotations annotations, CallContext call) {
        throw new KmsException.InvalidInput("ciphertext was not produced by this plugin (no format marker); "
                + describe() + " cannot read it");
    }

    /** Stops background work and releases sessions and connections. */
    @Override
    void close();
}
