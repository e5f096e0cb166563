package dev.kmsplugin.bench.targets;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.KeyManagementServiceGrpc.KeyManagementServiceBlockingStub;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import dev.kmsplugin.bench.load.TimedCall;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The calls kube-apiserver makes, as the harness's scenarios. Data keys are 32 random bytes, as the apiserver's
 * are (random, but not secret: test data); every call carries the apiserver's default 3 s deadline. Against the real plugin, every answer is checked
 * (a Decrypt must return the data key that was encrypted); the no-op server's constant answers are not.
 */
public final class GrpcScenarios {

    /** The name of the harness's client event-loop thread, on every channel it opens. */
    public static final String CLIENT_THREAD = "bench-client-io";

    /** kube-apiserver's default timeout for KMS calls. */
    public static final Duration CALL_DEADLINE = Duration.ofSeconds(3);
    private static final int DATA_KEY_BYTES = 32;

    private final dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.KeyManagementServiceBlockingStub v2;
    private final KeyManagementServiceBlockingStub v1;
    private final boolean checkAnswers;

    public GrpcScenarios(ManagedChannel channel, boolean checkAnswers) {
        this.v2 = dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.newBlockingStub(channel);
        this.v1 = dev.kmsplugin.adapter.grpc.wire.v1beta1.KeyManagementServiceGrpc.newBlockingStub(channel);
        this.checkAnswers = checkAnswers;
    }

    /** The scenarios in the order they run and are printed; the round trip is the one the targets speak of. */
    public Map<String, IntFunction<TimedCall>> all() {
        Map<String, IntFunction<TimedCall>> scenarios = new LinkedHashMap<>();
        scenarios.put("v1 Encrypt", caller -> this::v1Encrypt);
        scenarios.put("v1 Decrypt", caller -> v1Decrypt());
        scenarios.put("v2 Encrypt", caller -> this::v2Encrypt);
        scenarios.put("v2 Decrypt", caller -> v2Decrypt());
        scenarios.put(ROUND_TRIP, caller -> this::v2RoundTrip);
        scenarios.put("v2 Status", caller -> this::v2Status);
        return scenarios;
    }

    public static final String ROUND_TRIP = "v2 Encrypt+Decrypt";

    /** Asks Status until it answers healthz "ok" or {@code patience} runs out; returns the last answer. */
    public StatusResponse awaitOk(Duration patience) throws InterruptedException {
        long until = System.nanoTime() + patience.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() - until < 0) {
            try {
                StatusResponse status = v2.withWaitForReady().withDeadlineAfter(1, TimeUnit.SECONDS)
                        .status(StatusRequest.getDefaultInstance());
                if ("ok".equals(status.getHealthz())) {
                    return status;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no Status 'ok' within " + patience.toSeconds() + " s"
                + (last == null ? "" : ": " + last));
    }

    private void v1Encrypt() {
        v1().encrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest.newBuilder().setVersion("v1beta1")
                .setPlain(dataKey()).build());
    }

    private TimedCall v1Decrypt() {
        ByteString plain = dataKey();
        ByteString cipher = v1().encrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest.newBuilder()
                .setVersion("v1beta1").setPlain(plain).build()).getCipher();
        dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptRequest request =
                dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptRequest.newBuilder().setVersion("v1beta1")
                        .setCipher(cipher).build();
        return () -> check(plain, v1().decrypt(request).getPlain());
    }

    private void v2Encrypt() {
        v2().encrypt(EncryptRequest.newBuilder().setPlaintext(dataKey()).setUid(uid()).build());
    }

    private TimedCall v2Decrypt() {
        ByteString plain = dataKey();
        EncryptResponse sealed = v2().encrypt(EncryptRequest.newBuilder().setPlaintext(plain).setUid(uid()).build());
        DecryptRequest request = DecryptRequest.newBuilder().setCiphertext(sealed.getCiphertext())
                .setKeyId(sealed.getKeyId()).putAllAnnotations(sealed.getAnnotationsMap()).setUid(uid()).build();
        return () -> check(plain, v2().decrypt(request).getPlaintext());
    }

    private void v2RoundTrip() {
        ByteString plain = dataKey();
        EncryptResponse sealed = v2().encrypt(EncryptRequest.newBuilder().setPlaintext(plain).setUid(uid()).build());
        check(plain, v2().decrypt(DecryptRequest.newBuilder().setCiphertext(sealed.getCiphertext())
                .setKeyId(sealed.getKeyId()).putAllAnnotations(sealed.getAnnotationsMap()).setUid(uid()).build())
                .getPlaintext());
    }

    private void v2Status() {
        StatusResponse status = v2().status(StatusRequest.getDefaultInstance());
        if (checkAnswers && !"ok".equals(status.getHealthz())) {
            throw new WrongAnswer("Status healthz is '" + status.getHealthz() + "'");
        }
    }

    private void check(ByteString expected, ByteString actual) {
        if (checkAnswers && !expected.equals(actual)) {
            throw new WrongAnswer("Decrypt returned " + actual.size() + " bytes that are not the data key encrypted");
        }
    }

    private dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.KeyManagementServiceBlockingStub v2() {
        return v2.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private KeyManagementServiceBlockingStub v1() {
        return v1.withDeadlineAfter(CALL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ByteString dataKey() {
        byte[] key = new byte[DATA_KEY_BYTES];
        ThreadLocalRandom.current().nextBytes(key);
        return ByteString.copyFrom(key);
    }

    // Not SecureRandom: its shared lock would make the harness, not the target, the bottleneck. Test data only.
    private static String uid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return new UUID(random.nextLong(), random.nextLong()).toString();
    }

    /** An answer that arrived but is wrong: counted as an error. */
    static final class WrongAnswer extends RuntimeException {
        WrongAnswer(String message) {
            super(message);
        }
    }
}
