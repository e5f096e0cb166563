package dev.kmsplugin.domain.envelope;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import java.util.Arrays;
import java.util.Objects;

/**
 * A data key wrapped by one key version, with what is needed to unwrap it: the algorithm and the key version.
 * {@link CiphertextFormat} turns it into the bytes the apiserver stores, and back.
 */
public record SealedDataKey(Algorithm algorithm, KeyRef key, byte[] wrapped) {

    public SealedDataKey {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        if (wrapped == null || wrapped.length == 0) {
            throw new KmsException.InvalidInput("wrapped key is empty");
        }
        wrapped = wrapped.clone();
    }

    @Override
    public byte[] wrapped() {
        return wrapped.clone();
    }

    /** The header bytes that precede the wrapped key; backends with authenticated encryption bind them as AAD. */
    public byte[] header() {
        return CiphertextFormat.header(algorithm, key);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SealedDataKey that && algorithm == that.algorithm && key.equals(that.key)
                && Arrays.equals(wrapped, that.wrapped);
    }

    @Override
    public int hashCode() {
        return Objects.hash(algorithm, key, Arrays.hashCode(wrapped));
    }

    @Override
    public String toString() {
        return "SealedDataKey[" + algorithm + ", " + key + ", " + wrapped.length + " bytes]";
    }
}
