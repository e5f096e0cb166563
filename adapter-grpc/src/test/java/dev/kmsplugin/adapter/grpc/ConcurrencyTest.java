package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Hundreds of parallel calls all answered correctly; beyond the limit, calls are refused fast, Status never. */
class ConcurrencyTest {

    @Test
    void five_hundred_parallel_encrypt_and_decrypt_calls_all_return_their_own_data_key() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.start(settings -> settings.with("max-concurrent-calls", 512))) {
            int calls = 500;
            List<byte[]> seeds = new ArrayList<>();
            List<ListenableFuture<EncryptResponse>> encrypted = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                byte[] seed = KmsRoundTripTest.dataKey();
                seeds.add(seed);
                encrypted.add(plugin.v2Async().encrypt(EncryptRequest.newBuilder()
                        .setPlaintext(ByteString.copyFrom(seed)).setUid("enc-" + i).build()));
            }
            List<ListenableFuture<DecryptResponse>> decrypted = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                EncryptResponse response = encrypted.get(i).get(20, TimeUnit.SECONDS);
                decrypted.add(plugin.v2Async().decrypt(DecryptRequest.newBuilder()
                        .setCiphertext(response.getCiphertext()).setKeyId(response.getKeyId())
                        .setUid("dec-" + i).build()));
            }
            for (int i = 0; i < calls; i++) {
                assertArrayEquals(seeds.get(i), decrypted.get(i).get(20, TimeUnit.SECONDS).getPlaintext()
                        .toByteArray(), "call " + i + " got another call's data key");
            }
        }
    }

    @Test
    void calls_beyond_the_limit_are_refused_at_once_while_status_still_answers() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.start(settings -> settings.with("max-concurrent-calls", 4))) {
            plugin.keys.delay(Duration.ofMillis(800));
            List<ListenableFuture<EncryptResponse>> slow = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                slow.add(plugin.v2Async().encrypt(EncryptRequest.newBuilder()
                        .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build()));
            }
            plugin.keys.awaitCalls(4); // the four occupy the pool

            long start = System.nanoTime();
            StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    StatusRuntimeException.class, () -> plugin.v2().encrypt(EncryptRequest.newBuilder()
                            .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build()));
            long refusalMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            long refusalMillis = refusalMicros / 1000;
            System.out.println("refusal beyond the limit answered in " + refusalMicros + " us");
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().contains("--max-concurrent-calls"));
            assertTrue(refusalMillis < 300, "refusal took " + refusalMillis + " ms");

            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz());
            for (ListenableFuture<EncryptResponse> call : slow) {
                assertTrue(call.get(5, TimeUnit.SECONDS).getCiphertext().size() > 0, "admitted calls finish");
            }
            plugin.keys.delay(Duration.ZERO);
            assertTrue(plugin.v2().encrypt(EncryptRequest.newBuilder()
                    .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build()).getCiphertext().size() > 0,
                    "capacity comes back once the pool drains");
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }
}
