package dev.kmsplugin.domain.key;

import dev.kmsplugin.domain.failure.KmsException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The KMS v2 {@code key_id}: an opaque name for one key version that the apiserver stores beside every object.
 *
 * <p>apiserver rules: non-empty, at most 1 KiB, no secrets in it, different for every key version and stable for
 * the life of that version (the apiserver re-wraps when it changes). The derivation a backend uses is therefore
 * part of the stored-data contract and must never change for an existing key version.
 */
public record KeyId(String value) {

    /** kube-apiserver rejects longer key ids. */
    public static final int MAX_BYTES = 1024;

    public KeyId {
        if (value == null || value.isEmpty()) {
            throw new KmsException.InvalidInput("key_id is empty");
        }
        int length = value.getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_BYTES) {
            throw new KmsException.InvalidInput(
                    "key_id is " + length + " bytes long; at most " + MAX_BYTES + " are allowed");
        }
    }

    /** Lowercase hex SHA-256 of {@code material}: reveals nothing of it, and is stable for equal material. */
    public static KeyId sha256Hex(String material) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return new KeyId(HexFormat.of().formatHex(digest.digest(material.getBytes(StandardCharsets.UTF_8))));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
