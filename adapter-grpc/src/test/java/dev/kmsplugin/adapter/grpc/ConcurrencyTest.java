package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.ports.testkit.Await;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of parallel calls all answered correctly; beyond the limit, calls are refused without waiting for an
 * admitted one, Status never.
 */
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
                EncryptResponse response = Await.await(encrypted.get(i), "encrypt call " + i);
                decrypted.add(plugin.v2Async().decrypt(DecryptRequest.newBuilder()
                        .setCiphertext(response.getCiphertext()).setKeyId(response.getKeyId())
                        .setUid("dec-" + i).build()));
            }
            for (int i = 0; i < calls; i++) {
                assertArrayEquals(seeds.get(i), Await.await(decrypted.get(i), "decrypt call " + i).getPlaintext()
                        .toByteArray(), "call " + i + " got another call's data key");
            }
        }
    }

    @Test
    void calls_beyond_the_limit_are_refused_at_once_while_status_still_answers() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.start(settings -> settings.with("max-concurrent-calls", 4))) {
            InMemoryKeys.Gate gate = plugin.keys.hold();
            List<ListenableFuture<EncryptResponse>> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                held.add(plugin.v2Async().encrypt(EncryptRequest.newBuilder()
                        .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build()));
            }
            gate.awaitArrivals(4); // the four occupy the pool, held in the backend until the gate opens

            // "At once": the fifth call is answered while the four are still held, so it waited for none of them.
            // Had it been queued it could only have ended at its own (generous) deadline, as DEADLINE_EXCEEDED.
            StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    StatusRuntimeException.class, () -> plugin.v2().withDeadlineAfter(60, TimeUnit.SECONDS)
                            .encrypt(EncryptRequest.newBuilder()
                                    .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build()));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
            assertTrue(refused.getStatus().getDescription().contains("--max-concurrent-calls"));
            assertFalse(gate.released());
            assertEquals(4, gate.arrived(), "the refused call never reached the backend: " + gate);
            assertTrue(held.stream().noneMatch(ListenableFuture::isDone), "the admitted calls are still held");

            assertEquals("ok", plugin.v2().withDeadlineAfter(60, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance()).getHealthz(), "Status answers while the pool is full");
            gate.release();
            for (ListenableFuture<EncryptResponse> call : held) {
                assertTrue(Await.await(call, "an admitted call's answer").getCiphertext().size() > 0,
                        "admitted calls finish");
            }
            assertEquals(4, gate.passed(), gate.toString());
            assertTrue(plugin.v2().encrypt(EncryptRequest.newBuilder()
                    .setPlaintext(ByteString.copyFrom(KmsRoundTripTest.dataKey())).build()).getCiphertext().size() > 0,
                    "capacity comes back once the pool drains");
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }
}
