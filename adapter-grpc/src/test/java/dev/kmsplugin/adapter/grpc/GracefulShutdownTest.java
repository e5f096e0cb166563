package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.spi.Backend;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** SIGTERM's path: stop accepting, let in-flight calls finish within the grace period, remove the socket. */
class GracefulShutdownTest {

    @Test
    void in_flight_calls_finish_with_correct_answers_and_later_calls_are_refused_cleanly() throws Exception {
        RunningPlugin plugin = RunningPlugin.start();
        try {
            plugin.keys.delay(Duration.ofMillis(400));
            int before = plugin.keys.calls();
            List<byte[]> seeds = new ArrayList<>();
            List<ListenableFuture<EncryptResponse>> inFlight = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                byte[] seed = KmsRoundTripTest.dataKey();
                seeds.add(seed);
                inFlight.add(plugin.v2Async().encrypt(EncryptRequest.newBuilder()
                        .setPlaintext(ByteString.copyFrom(seed)).build()));
            }
            plugin.keys.awaitCalls(before + 40); // all forty are in flight inside the backend

            long start = System.nanoTime();
            plugin.transport.shutdown(Duration.ofSeconds(5));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertFalse(Files.exists(plugin.socket), "socket removed on shutdown");
            assertTrue(tookMillis < 4000, "drained in " + tookMillis + " ms");
            assertTrue(tookMillis >= 150, "shutdown waited for the in-flight calls (" + tookMillis + " ms)");
            // Every in-flight call finished inside the server with OK: nothing was cut off by the shutdown.
            assertEquals(40, plugin.telemetry.requests.stream().filter("v2/Encrypt OK"::equals).count(),
                    plugin.telemetry.requests.toString());
            EnvelopeService reader = new EnvelopeService(Backend.of(plugin.keys), plugin.telemetry);
            plugin.keys.delay(Duration.ZERO);
            for (int i = 0; i < inFlight.size(); i++) {
                // The transport drains before it sends GOAWAY, so every answer is on the wire while the connection
                // is fully open: the client must receive all of them, and each must be its own data key.
                EncryptResponse response = inFlight.get(i).get(1, TimeUnit.SECONDS);
                byte[] plain = reader.decrypt(DecryptRequest.of(new Ciphertext(response.getCiphertext()
                        .toByteArray())), CallContext.internal("check", Duration.ofSeconds(1))).bytes();
                assertArrayEquals(seeds.get(i), plain, "in-flight call " + i + " answered wrongly");
            }
            ListenableFuture<EncryptResponse> late = plugin.v2Async().withDeadlineAfter(1, TimeUnit.SECONDS)
                    .encrypt(EncryptRequest.newBuilder().setPlaintext(ByteString.copyFrom(seeds.get(0))).build());
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> late.get(3, TimeUnit.SECONDS));
            Status.Code code = ((StatusRuntimeException) refused.getCause()).getStatus().getCode();
            assertTrue(code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED, code.toString());
        } finally {
            plugin.close();
        }
    }

    @Test
    void calls_still_running_when_the_grace_period_ends_are_cancelled_and_shutdown_returns() throws Exception {
        RunningPlugin plugin = RunningPlugin.start();
        try {
            plugin.keys.delay(Duration.ofSeconds(5));
            ListenableFuture<EncryptResponse> stuck = plugin.v2Async().encrypt(EncryptRequest.newBuilder()
                    .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build());
            plugin.keys.awaitCalls(1);
            long start = System.nanoTime();
            plugin.transport.shutdown(Duration.ofMillis(300));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMillis < 3500, "shutdown took " + tookMillis + " ms");
            ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> stuck.get(3, TimeUnit.SECONDS));
            Status.Code code = ((StatusRuntimeException) failed.getCause()).getStatus().getCode();
            assertTrue(code == Status.Code.CANCELLED || code == Status.Code.UNAVAILABLE,
                    "a cancelled call fails; it never gets an answer: " + code);
        } finally {
            plugin.close();
        }
    }
}
