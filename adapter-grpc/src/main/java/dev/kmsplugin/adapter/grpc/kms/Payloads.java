package dev.kmsplugin.adapter.grpc.kms;

import com.google.protobuf.ByteString;
import dev.kmsplugin.domain.envelope.Plaintext;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Copy-and-wipe of secret payloads, written once for both APIs: a plaintext leaves protobuf as a
 * {@link Plaintext} whose temporary copies are wiped, and goes back into protobuf the same way.
 * (The protobuf ByteStrings themselves are immutable and cannot be wiped; they die with the call.)
 */
final class Payloads {

    private Payloads() {
    }

    /** Gives {@code use} the request's plaintext and wipes every copy this side made once it returns. */
    static <T> T withPlaintext(ByteString wire, Function<Plaintext, T> use) {
        byte[] plain = wire.toByteArray();
        Plaintext plaintext;
        try {
            plaintext = new Plaintext(plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
        try {
            return use.apply(plaintext);
        } finally {
            plaintext.wipe();
        }
    }

    /** The plaintext as response bytes; the plaintext and the temporary copy are wiped. */
    static ByteString toWire(Plaintext plaintext) {
        byte[] plain = plaintext.bytes();
        try {
            return ByteString.copyFrom(plain);
        } finally {
            Arrays.fill(plain, (byte) 0);
            plaintext.wipe();
        }
    }
}
