package dev.kmsplugin.domain.envelope;

import dev.kmsplugin.domain.failure.KmsException;
import java.util.function.IntFunction;

/** The size rule of the byte payloads the apiserver hands over: present, not longer than a bound, copied in. */
final class BoundedBytes {

    private BoundedBytes() {
    }

    /**
     * A copy of {@code bytes}, which must hold 1 to {@code max} bytes.
     *
     * @param what     the payload's name in a message, e.g. {@code ciphertext}
     * @param empty    what the message adds when there are no bytes
     * @param tooLong  what it adds, given the length, when there are too many
     */
    static byte[] copy(byte[] bytes, int max, String what, String empty, IntFunction<String> tooLong) {
        if (bytes == null || bytes.length == 0) {
            throw new KmsException.InvalidInput(what + " is empty" + empty);
        }
        if (bytes.length > max) {
            throw new KmsException.InvalidInput(what + " is " + bytes.length + " bytes long; at most " + max
                    + tooLong.apply(bytes.length));
        }
        return bytes.clone();
    }
}
