package dev.kmsplugin.adapter.grpc.kms;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.inbound.StatusReport;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * KMS v2 ({@code v2.KeyManagementService}) over the envelope use cases. Status answers from memory and never waits
 * for the call pool: the apiserver closes its write gate about three minutes after the last healthy Status, so
 * Status must answer even while Encrypt and Decrypt are saturated.
 */
public final class GrpcKmsV2Service extends KeyManagementServiceGrpc.KeyManagementServiceImplBase {

    private final EnvelopeCalls calls;
    private final String statusVersion;

    /**
     * @param statusVersion {@code v2} for kube-apiserver 1.29+, {@code v2beta1} for 1.27 and 1.28
     */
    public GrpcKmsV2Service(EnvelopeEncryption envelopes, UnaryCalls calls, String statusVersion) {
        this.calls = new EnvelopeCalls(envelopes, calls);
        this.statusVersion = statusVersion;
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
        calls.inline("v2/Status", observer, envelopes -> {
            StatusReport report = envelopes.status();
            return StatusResponse.newBuilder()
                    .setVersion(statusVersion)
                    .setHealthz(report.healthy() ? StatusReport.OK : KmsStatusMapping.oneLine(report.healthz()))
                    .setKeyId(report.keyId().map(KeyId::value).orElse(""))
                    .build();
        });
    }

    @Override
    public void encrypt(EncryptRequest request, StreamObserver<EncryptResponse> observer) {
        calls.encrypt("v2/Encrypt", request.getUid(), request::getPlaintext, observer, (ciphertext, result) -> {
            EncryptResponse.Builder response = EncryptResponse.newBuilder()
                    .setCiphertext(ciphertext)
                    .setKeyId(result.keyId().value());
            result.annotations().asMap().forEach((key, value) -> response.putAnnotations(key,
                    ByteString.copyFrom(value)));
            return response.build();
        });
    }

    @Override
    public void decrypt(DecryptRequest request, StreamObserver<DecryptResponse> observer) {
        calls.decrypt("v2/Decrypt", request.getUid(), context -> {
            Map<String, byte[]> annotations = new LinkedHashMap<>();
            request.getAnnotationsMap().forEach((key, value) -> annotations.put(key, value.toByteArray()));
            return dev.kmsplugin.ports.inbound.DecryptRequest.v2(new Ciphertext(request.getCiphertext().toByteArray()),
                    Optional.of(new KeyId(request.getKeyId())), Annotations.of(annotations));
        }, observer, plaintext -> DecryptResponse.newBuilder().setPlaintext(plaintext).build());
    }
}
