package dev.kmsplugin.ports.outbound;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import java.util.function.Consumer;

/**
 * A key-encryption key held by an HSM, in all its versions: the one thing the core needs from a backend.
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>{@link #current()}, {@link #keyId(KeyRef)} and {@link #health()} answer from memory: the apiserver polls
 *       Status every minute and must not cost a backend call. Backends refresh the current version and probe
 *       health in the background.</li>
 *   <li>{@link #wrap} and {@link #unwrap} do the real work inside the HSM and stop retrying when
 *       {@link CallContext#remaining()} runs out.</li>
 *   <li>Any key version that ever wrapped data stays usable for {@link #unwrap}: rotation never strands data.</li>
 *   <li>Failures are {@link KmsException}s whose messages name no secret.</li>
 * </ul>
 */
public interface KeyEncryptionKeys extends AutoCloseable {

    /** The key version new data keys are wrapped with, with its key_id and algorithm. */
    KeyVersion current();

    /** The KMS v2 key_id of any key version: stable, secret-free, different for every version. */
    KeyId keyId(KeyRef version);

    /**
     * Wraps a data key under {@code version}. {@code header} is the ciphertext header; backends with authenticated
     * encryption bind it, others ignore it. It is shared between calls: read it, never change it.
     */
    byte[] wrap(KeyVersion version, Plaintext dataKey, byte[] header, CallContext call);

    /**
     * Reverses {@link #wrap} for the version and algorithm the sealed key names; fails with
     * {@link KmsException.IntegrityFailure} when the bytes or the header were altered. The version is looked up once:
     * {@code admit} is given it as soon as it is resolved, before the HSM is asked, and refuses the call by throwing
     * (the use case checks there that the caller's key_id belongs to it).
     */
    Plaintext unwrap(SealedDataKey sealed, Consumer<KeyVersion> admit, CallContext call);

    /** {@link #unwrap(SealedDataKey, Consumer, CallContext)} with no key_id to check: probes and operator tools. */
    default Plaintext unwrap(SealedDataKey sealed, CallContext call) {
        return unwrap(sealed, version -> { }, call);
    }

    /** The last probe's result, from memory. */
    Health health();

    /** Stops background work and releases sessions and connections. */
    @Override
    void close();

    /** One line for logs, naming the backend and key but nothing secret. */
    default String describe() {
        return getClass().getSimpleName();
    }
}
