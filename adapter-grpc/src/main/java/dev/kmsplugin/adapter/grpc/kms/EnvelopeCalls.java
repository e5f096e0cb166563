package dev.kmsplugin.adapter.grpc.kms;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import io.grpc.stub.StreamObserver;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The envelope use cases as gRPC calls, written once for both KMS APIs: each runs through {@link UnaryCalls}, reads
 * its request inside the call (so a malformed one is answered like any other failure), and moves secret payloads
 * in and out of protobuf with {@link Payloads}. The services only say which fields go where.
 */
final class EnvelopeCalls {

    private final EnvelopeEncryption envelopes;
    private final UnaryCalls calls;

    EnvelopeCalls(EnvelopeEncryption envelopes, UnaryCalls calls) {
        this.envelopes = envelopes;
        this.calls = calls;
    }

    /** Answers a cheap call (Status, Version) from the use cases inline; it must answer while the pool is full. */
    <T> void inline(String method, StreamObserver<T> observer, Function<EnvelopeEncryption, T> work) {
        calls.inline(method, observer, context -> work.apply(envelopes));
    }

    /**
     * Encrypt: wraps the plaintext {@code plaintext} reads from the request and answers what {@code response} builds
     * from the ciphertext's wire bytes and the result.
     */
    <T> void encrypt(String method, String uid, Supplier<ByteString> plaintext, StreamObserver<T> observer,
                     BiFunction<ByteString, EncryptResult, T> response) {
        calls.offload(method, uid, observer, context -> Payloads.withPlaintext(plaintext.get(), clear -> {
            EncryptResult result = envelopes.encrypt(clear, context);
            // bytes() is a fresh copy nobody else holds: protobuf may take it without copying again.
            return response.apply(UnsafeByteOperations.unsafeWrap(result.ciphertext().bytes()), result);
        }));
    }

    /** Decrypt: unwraps what {@code request} reads and answers what {@code response} builds from the plaintext. */
    <T> void decrypt(String method, String uid, Function<CallContext, DecryptRequest> request,
                     StreamObserver<T> observer, Function<ByteString, T> response) {
        calls.offload(method, uid, observer, context -> response.apply(
                Payloads.toWire(envelopes.decrypt(request.apply(context), context))));
    }
}
