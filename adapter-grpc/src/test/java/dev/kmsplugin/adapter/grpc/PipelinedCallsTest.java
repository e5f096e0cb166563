package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many calls in flight on one connection all get their own right answer: the transport neither mixes answers up
 * nor loses one under pipelining. (How fast is measured by {@code bench/run}, never here.)
 */
class PipelinedCallsTest {

    @Test
    void five_thousand_decrypts_with_128_in_flight_on_one_connection_each_return_the_data_key() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.start(settings -> settings.with("max-concurrent-calls", 256))) {
            byte[] seed = KmsRoundTripTest.dataKey();
            EncryptResponse encrypted = plugin.v2().encrypt(EncryptRequest.newBuilder()
                    .setPlaintext(ByteString.copyFrom(seed)).build());
            DecryptRequest request = DecryptRequest.newBuilder().setCiphertext(encrypted.getCiphertext())
                    .setKeyId(encrypted.getKeyId()).setUid("pipelined").build();
            int window = 128;
            List<ListenableFuture<DecryptResponse>> pending = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                pending.add(plugin.v2Async().decrypt(request));
                if (pending.size() == window || i == 4_999) {
                    for (ListenableFuture<DecryptResponse> call : pending) {
                        // bounded wait on the answer, not a timing assertion
                        assertArrayEquals(seed, call.get(60, TimeUnit.SECONDS).getPlaintext().toByteArray());
                    }
                    pending.clear();
                }
            }
        }
    }
}
