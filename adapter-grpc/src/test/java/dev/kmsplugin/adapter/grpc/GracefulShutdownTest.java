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
import dev.kmsplugin.ports.testkit.Await;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** SIGTERM's path: stop accepting, let in-flight calls finish within the grace period, remove the socket. */
class GracefulShutdownTest {

    @Test
    void in_flight_calls_finish_with_correct_answers_and_later_calls_are_refused_cleanly() throws Exception {
        // All forty held in the backend at once: one connection must carry forty streams.
        RunningPlugin plugin = RunningPlugin.start(settings -> settings.with("max-streams-per-connection", 64));
        ExecutorService shutdowns = Executors.newSingleThreadExecutor();
        try {
            InMemoryKeys.Gate gate = plugin.keys.hold();
            List<byte[]> seeds = new ArrayList<>();
            List<ListenableFuture<EncryptResponse>> inFlight = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                byte[] seed = KmsRoundTripTest.dataKey();
                seeds.add(seed);
                inFlight.add(plugin.v2Async().encrypt(EncryptRequest.newBuilder()
                        .setPlaintext(ByteString.copyFrom(seed)).build()));
            }
            gate.awaitArrivals(40); // all forty are in flight, held inside the backend

            // A grace period far longer than the test: shutdown can only return early by draining.
            Future<?> shutdown = shutdowns.submit(() -> plugin.transport.shutdown(Duration.ofMinutes(5)));
            Await.awaitCondition(() -> !Files.exists(plugin.socket), "socket removed on shutdown");
            assertFalse(shutdown.isDone(), "shutdown waits for the in-flight calls, which are still held");
            assertTrue(inFlight.stream().noneMatch(ListenableFuture::isDone), "no in-flight call was cut off");

            gate.release();
            Await.await(shutdown, "shutdown once the in-flight calls finished");
            assertEquals(40, gate.passed(), gate.toString());
            // Every in-flight call finished inside the server with OK: nothing was cut off by the shutdown.
            Await.awaitCondition(() -> plugin.telemetry.requests.stream().filter("v2/Encrypt OK"::equals).count() >= 40,
                    () -> "forty v2/Encrypt OK: " + plugin.telemetry.requests);
            assertEquals(40, plugin.telemetry.requests.stream().filter("v2/Encrypt OK"::equals).count(),
                    plugin.telemetry.requests.toString());
            EnvelopeService reader = new EnvelopeService(Backend.of(plugin.keys), plugin.telemetry);
            for (int i = 0; i < inFlight.size(); i++) {
                // The transport drains before it sends GOAWAY, so every answer is on the wire while the connection
                // is fully open: the client must receive all of them, and each must be its own data key.
                EncryptResponse response = Await.await(inFlight.get(i), "in-flight call " + i);
                byte[] plain = reader.decrypt(DecryptRequest.of(new Ciphertext(response.getCiphertext()
                        .toByteArray())), CallContext.internal("check", Duration.ofSeconds(30))).bytes();
                assertArrayEquals(seeds.get(i), plain, "in-flight call " + i + " answered wrongly");
            }
            int reached = gate.arrived();
            ListenableFuture<EncryptResponse> late = plugin.v2Async().withDeadlineAfter(1, TimeUnit.SECONDS)
                    .encrypt(EncryptRequest.newBuilder().setPlaintext(ByteString.copyFrom(seeds.get(0))).build());
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> Await.await(late, "the late call's refusal"));
            Status.Code code = ((StatusRuntimeException) refused.getCause()).getStatus().getCode();
            assertTrue(code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED, code.toString());
            assertEquals(reached, gate.arrived(), "the late call never reached the backend: " + gate);
        } finally {
            shutdowns.shutdownNow();
            plugin.close();
        }
    }

    @Test
    void calls_still_running_when_the_grace_period_ends_are_cancelled_and_shutdown_returns() throws Exception {
        RunningPlugin plugin = RunningPlugin.start();
        try {
            InMemoryKeys.Gate gate = plugin.keys.hold(); // never released: the call is stuck until it is cancelled
            ListenableFuture<EncryptResponse> stuck = plugin.v2Async().withDeadlineAfter(10, TimeUnit.MINUTES)
                    .encrypt(EncryptRequest.newBuilder()
                    .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build());
            gate.awaitArrivals(1);
            // Returns although the call it waited for can never finish on its own (its deadline is minutes away).
            Await.await(CompletableFuture.runAsync(() -> plugin.transport.shutdown(Duration.ofMillis(300))),
                    "shutdown after its 300 ms grace period");
            gate.awaitInterrupted(1); // the server cancelled the work: the held backend call was interrupted
            ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> Await.await(stuck, "the stuck call's failure"));
            Status.Code code = ((StatusRuntimeException) failed.getCause()).getStatus().getCode();
            assertTrue(code == Status.Code.CANCELLED || code == Status.Code.UNAVAILABLE,
                    "a cancelled call fails; it never gets an answer: " + code);
            assertEquals(0, gate.passed(), gate.toString());
        } finally {
            plugin.close();
        }
    }
}
