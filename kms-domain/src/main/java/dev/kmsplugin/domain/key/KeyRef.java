package dev.kmsplugin.domain.key;

import dev.kmsplugin.domain.failure.KmsException;
import java.nio.charset.StandardCharsets;

/**
 * One version of a key-encryption key, as a ciphertext records it: the key's name and the version's name.
 *
 * <p>Both are printable ASCII without spaces, at most 255 bytes each (the ciphertext format stores their lengths
 * in one byte). Key Vault versions are 32 hex digits; the simulator numbers its versions from 1.
 */
public record KeyRef(String name, String version) {

    public static final int MAX_PART_BYTES = 255;

    public KeyRef {
        name = checkPart("key name", name);
        version = checkPart("key version", version);
    }

    private static String checkPart(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new KmsException.InvalidInput(what + " is empty");
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_PART_BYTES) {
            throw new KmsException.InvalidInput(
                    what + " is " + bytes.length + " bytes long; at most " + MAX_PART_BYTES + " are allowed");
        }
        for (byte b : bytes) {
            if (b <= 0x20 || b >= 0x7f) {
                throw new KmsException.InvalidInput(what + " must be printable ASCII without spaces");
            }
        }
        return value;
    }

    @Override
    public String toString() {
        return name + "/" + version;
    }
}
