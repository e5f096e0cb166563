package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A sanity figure for the socket path (transport + envelope + JDK AES-GCM): sequential round-trip latency and
 * pipelined throughput, printed to the test output. The bound is loose: it catches a transport that blocks or
 * serialises, not a slow machine.
 */
class LatencyProbeTest {

    @Test
    void a_decrypt_round_trip_over_the_socket_takes_well_under_a_millisecond_at_the_median() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.start(settings -> settings.with("max-concurrent-calls", 256))) {
            byte[] seed = KmsRoundTripTest.dataKey();
            EncryptResponse encrypted = plugin.v2().encrypt(EncryptRequest.newBuilder()
                    .setPlaintext(ByteString.copyFrom(seed)).build());
            DecryptRequest request = DecryptRequest.newBuilder().setCiphertext(encrypted.getCiphertext())
                    .setKeyId(encrypted.getKeyId()).setUid("probe").build();
            for (int i = 0; i < 1000; i++) { // warm up the JIT
                plugin.v2().decrypt(request);
            }
            int samples = 1000;
            long[] nanos = new long[samples];
            for (int i = 0; i < samples; i++) {
                long start = System.nanoTime();
                plugin.v2().decrypt(request);
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            double p50 = nanos[samples / 2] / 1e3;
            double p99 = nanos[samples * 99 / 100] / 1e3;

            int total = 5_000;
            int window = 128;
            long start = System.nanoTime();
            List<ListenableFuture<DecryptResponse>> pending = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                pending.add(plugin.v2Async().decrypt(request));
                if (pending.size() == window) {
                    for (ListenableFuture<DecryptResponse> call : pending) {
                        assertArrayEquals(seed, call.get(10, TimeUnit.SECONDS).getPlaintext().toByteArray());
                    }
                    pending.clear();
                }
            }
            for (ListenableFuture<DecryptResponse> call : pending) {
                call.get(10, TimeUnit.SECONDS);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("v2 Decrypt over the unix socket: p50 %.0f us, p99 %.0f us sequential;"
                    + " %.0f calls/s with %d in flight%n", p50, p99, total / seconds, window);
            assertTrue(p50 < 5_000, "median round trip " + p50 + " us");
        }
    }
}
