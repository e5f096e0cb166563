package dev.kmsplugin.domain.envelope;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import java.util.Arrays;
import java.util.Objects;

/**
 * A data key wrapped by one key version, with what is needed to unwrap it: the algorithm, the key version, and the
 * header bytes that name them. {@link CiphertextFormat} turns it into the bytes the apiserver stores, and back; a
 * decoded one keeps the header it was read from, so the header is parsed once per Decrypt and never encoded again.
 */
public final class SealedDataKey {

    private final Algorithm algorithm;
    private final KeyRef key;
    private final byte[] wrapped;
    private final byte[] header;

    public SealedDataKey(Algorithm algorithm, KeyRef key, byte[] wrapped) {
        this(algorithm, key, checked(wrapped).clone(), CiphertextFormat.header(algorithm, key));
    }

    /** Takes ownership of both arrays: only {@link CiphertextFormat}, with bytes nobody else holds. */
    SealedDataKey(Algorithm algorithm, KeyRef key, byte[] wrapped, byte[] header) {
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        this.key = Objects.requireNonNull(key, "key");
        this.wrapped = checked(wrapped);
        this.header = header;
    }

    private static byte[] checked(byte[] wrapped) {
        if (wrapped == null || wrapped.length == 0) {
            throw new KmsException.InvalidInput("wrapped key is empty");
        }
        return wrapped;
    }

    public Algorithm algorithm() {
        return algorithm;
    }

    public KeyRef key() {
        return key;
    }

    /** A copy of the wrapped key, as the backend produced it. */
    public byte[] wrapped() {
        return wrapped.clone();
    }

    /** The length of the wrapped key, without copying it. */
    public int wrappedLength() {
        return wrapped.length;
    }

    /** A copy of the header bytes that precede the wrapped key; backends with authenticated encryption bind them. */
    public byte[] header() {
        return header.clone();
    }

    /** Hands the wrapped key and the header to {@code use} without copying them; it must not change or keep them. */
    public <T> T read(Reading<T> use) {
        return use.apply(wrapped, header);
    }

    /** What {@link #read} hands the arrays to. */
    @FunctionalInterface
    public interface Reading<T> {
        T apply(byte[] wrapped, byte[] header);
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
