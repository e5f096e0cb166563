package dev.kmsplugin.domain.envelope;

import java.util.Arrays;

/** The opaque bytes the apiserver stores and later hands back for decryption. */
public record Ciphertext(byte[] bytes) {

    /** kube-apiserver rejects ciphertexts larger than 1 KiB from a KMS v2 plugin. */
    public static final int MAX_BYTES = 1024;

    public Ciphertext {
        bytes = BoundedBytes.copy(bytes, MAX_BYTES, "ciphertext", "",
                length -> " are allowed, so it was not produced by this plugin");
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    /** The byte at {@code index}, without copying the whole array. */
    public int byteAt(int index) {
        return bytes[index] & 0xff;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Ciphertext that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Ciphertext[" + bytes.length + " bytes]";
    }
}
