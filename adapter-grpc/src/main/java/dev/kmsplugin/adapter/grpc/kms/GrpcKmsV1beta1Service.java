package dev.kmsplugin.adapter.grpc.kms;

import dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.KeyManagementServiceGrpc;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionRequest;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionResponse;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import io.grpc.stub.StreamObserver;

/**
 * KMS v1beta1 ({@code v1beta1.KeyManagementService}) over the envelope use cases. The apiserver calls Encrypt on
 * every write with a fresh 32-byte DEK, and requires every answer to Version to say {@code v1beta1}.
 */
public final class GrpcKmsV1beta1Service extends KeyManagementServiceGrpc.KeyManagementServiceImplBase {

    /** The only version this API has; the apiserver sends it in every request and expects it back. */
    public static final String API_VERSION = "v1beta1";

    private final EnvelopeCalls calls;
    private final RuntimeInfo runtime;

    public GrpcKmsV1beta1Service(EnvelopeEncryption envelopes, UnaryCalls calls, RuntimeInfo runtime) {
        this.calls = new EnvelopeCalls(envelopes, calls);
        this.runtime = runtime;
    }

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> observer) {
        calls.inline("v1beta1/Version", observer, envelopes -> {
            requireVersion(request.getVersion());
            return VersionResponse.newBuilder()
                    .setVersion(API_VERSION)
                    .setRuntimeName(runtime.name())
                    .setRuntimeVersion(runtime.version())
                    .build();
        });
    }

    @Override
    public void encrypt(EncryptRequest request, StreamObserver<EncryptResponse> observer) {
        calls.encrypt("v1beta1/Encrypt", null, () -> {
            requireVersion(request.getVersion());
            return request.getPlain();
        }, observer, (ciphertext, result) -> EncryptResponse.newBuilder().setCipher(ciphertext).build());
    }

    @Override
    public void decrypt(DecryptRequest request, StreamObserver<DecryptResponse> observer) {
        calls.decrypt("v1beta1/Decrypt", null, context -> {
            requireVersion(request.getVersion());
            return dev.kmsplugin.ports.inbound.DecryptRequest.of(new Ciphertext(request.getCipher().toByteArray()));
        }, observer, plaintext -> DecryptResponse.newBuilder().setPlain(plaintext).build());
    }

    private static void requireVersion(String version) {
        if (!API_VERSION.equals(version)) {
            throw new KmsException.InvalidInput("request version is '" + KmsStatusMapping.oneLine(version)
                    + "', but this is the " + API_VERSION + " API; send version \"" + API_VERSION + "\"");
        }
    }
}
