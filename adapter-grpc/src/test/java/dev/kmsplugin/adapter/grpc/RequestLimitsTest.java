package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A call must deliver its whole request within --request-read-timeout of its start: a caller that opens streams
 * and never finishes their requests cannot hold them (the caller's own deadline only runs once the request is
 * complete), while calls that do send their request are served as before.
 */
class RequestLimitsTest {

    /**
     * Starts a v2 Decrypt that sends its request message but never half-closes, so the request never completes
     * (grpc-java sends a call's headers with its first message); its final status arrives on the queue.
     */
    private static ClientCall<DecryptRequest, DecryptResponse> unfinished(RunningPlugin plugin,
                                                                         BlockingQueue<Status> closed) {
        ClientCall<DecryptRequest, DecryptResponse> call = plugin.channel.newCall(
                KeyManagementServiceGrpc.getDecryptMethod(), CallOptions.DEFAULT.withWaitForReady());
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.add(status);
            }
        }, new Metadata());
        call.request(1);
        call.sendMessage(DecryptRequest.newBuilder().setUid("unfinished").build());
        return call;
    }

    @Test
    void calls_whose_request_never_completes_are_ended_with_deadline_exceeded() throws Exception {
        try (RunningPlugin plugin = RunningPlugin.start(s -> s.with("request-read-timeout", Duration.ofMillis(300)))) {
            BlockingQueue<Status> closed = new ArrayBlockingQueue<>(16);
            List<ClientCall<DecryptRequest, DecryptResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(unfinished(plugin, closed));
            }
            for (int i = 0; i < 8; i++) {
                Status status = closed.poll(30, TimeUnit.SECONDS);
                assertTrue(status != null, "the server did not end unfinished call " + i);
                assertEquals(Status.Code.DEADLINE_EXCEEDED, status.getCode(), status.toString());
            }
            assertEquals("ok", plugin.v2().status(StatusRequest.getDefaultInstance()).getHealthz(),
                    "complete calls are served as before");
        }
    }
}
