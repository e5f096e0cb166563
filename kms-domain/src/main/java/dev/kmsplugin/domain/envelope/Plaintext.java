package dev.kmsplugin.domain.envelope;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A data key in the clear, as the apiserver hands it over (a 32-byte DEK for v1, a 32-byte seed for v2).
 *
 * <p>The bytes are copied in and out so no caller can alias them, {@link #wipe()} zeroes them once they are no
 * longer needed, and {@link #toString()} prints only the length.
 */
public record Plaintext(byte[] bytes) {

    /**
     * The largest data key accepted: eight times what the apiserver sends, and small enough that every backend's
     * output stays within the apiserver's 1 KiB ciphertext limit.
     */
    public static final int MAX_BYTES = 256;

    public Plaintext {
        bytes = BoundedBytes.copy(bytes, MAX_BYTES, "plaintext", "; the apiserver sends a 32-byte data key",
                length -> " are accepted (the apiserver sends a 32-byte data key)");
    }

    /** A copy of the key bytes; the caller should wipe it after use. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Overwrites the key bytes with zeros. */
    public void wipe() {
        Arrays.fill(bytes, (byte) 0);
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Plaintext that && MessageDigest.isEqual(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return bytes.length;
    }

    @Override
    public String toString() {
        return "Plaintext[" + bytes.length + " bytes]";
    }
}
