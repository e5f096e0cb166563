package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.client.KmsClient;
import dev.kmsplugin.adapter.grpc.transport.GrpcTransport;
import dev.kmsplugin.adapter.grpc.transport.GrpcTransportSettings;
import dev.kmsplugin.adapter.grpc.transport.ServerEndpoint;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.testkit.Await;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import dev.kmsplugin.ports.testkit.MapSettings;
import dev.kmsplugin.ports.testkit.RecordingTelemetry;
import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The transport on an in-process server: the same pipeline, services and status mapping, with no socket at all. */
class InProcessTransportTest {

    private final String name = "kms-in-process-" + System.nanoTime();
    private final InMemoryKeys keys = new InMemoryKeys();
    private final List<ManagedChannel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
    private GrpcTransport transport;

    private final class InProcessEndpoint implements ServerEndpoint {
        @Override
        public ServerBuilder<?> open() {
            return InProcessServerBuilder.forName(name);
        }

        @Override
        public void publish() {
        }

        @Override
        public void withdraw() {
        }

        @Override
        public void release() {
        }

        @Override
        public KmsClient client() {
            return KmsClient.over(channel(), true);
        }

        @Override
        public String describe() {
            return "in-process:" + name;
        }
    }

    private ManagedChannel channel() {
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        channels.add(channel);
        return channel;
    }

    private GrpcTransport start(int maxConcurrentCalls) throws Exception {
        MapSettings settings = TransportSettings.at("unix:///tmp/unused.sock").with("max-concurrent-calls",
                maxConcurrentCalls);
        RecordingTelemetry telemetry = new RecordingTelemetry();
        transport = new GrpcTransport(GrpcTransportSettings.from(settings), new InProcessEndpoint(),
                new EnvelopeService(Backend.of(keys), telemetry), telemetry);
        transport.start();
        return transport;
    }

    @AfterEach
    void stop() {
        channels.forEach(ManagedChannel::shutdownNow);
        if (transport != null) {
            transport.shutdown(Duration.ZERO);
        }
    }

    @Test
    void encrypts_decrypts_and_passes_its_self_check_in_process() throws Exception {
        start(4).selfCheck(Duration.ofSeconds(3));
        try (KmsClient client = KmsClient.over(channel(), true)) {
            byte[] dataKey = KmsRoundTripTest.dataKey();
            var encrypted = client.encrypt(dataKey, "uid-1", Duration.ofSeconds(3));
            assertArrayEquals(dataKey, client.decrypt(encrypted.getCiphertext().toByteArray(), encrypted.getKeyId(),
                    "uid-2", Duration.ofSeconds(3)));
            assertArrayEquals(dataKey, client.decryptV1(client.encryptV1(dataKey, Duration.ofSeconds(3)),
                    Duration.ofSeconds(3)));
        }
    }

    @Test
    void a_full_pool_is_refused_with_resource_exhausted_through_the_status_mapping() throws Exception {
        start(1);
        InMemoryKeys.Gate gate = keys.hold();
        var stub = KeyManagementServiceGrpc.newFutureStub(channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
        EncryptRequest request = EncryptRequest.newBuilder().setUid("busy")
                .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build();
        Future<?> first = stub.encrypt(request);
        gate.awaitArrivals(1); // the one admitted call is held in the backend: the pool is full
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                () -> KeyManagementServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
                        .encrypt(request));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
        assertEquals(true, refused.getStatus().getDescription().contains("--max-concurrent-calls"));
        assertEquals(1, gate.arrived(), "the refused call never reached the backend: " + gate);
        gate.release();
        Await.await(first, "the admitted call's answer");
    }
}
