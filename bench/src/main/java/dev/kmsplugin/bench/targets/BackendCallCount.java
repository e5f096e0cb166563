package dev.kmsplugin.bench.targets;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import dev.kmsplugin.ports.testkit.RecordingTelemetry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Counts the backend calls behind each apiserver operation: the plugin's own {@link EnvelopeService} (the class the
 * gRPC services call once per request) runs over the test kit's {@link InMemoryKeys}, which count the wraps and
 * unwraps that reach them. The count is taken at the backend port, so it is the service's and does not depend on
 * the backend behind the port. Two independent counts must agree: the calls the keys see, and the
 * {@code backendCallCompleted} events the service reports to telemetry (what the metrics endpoint exposes), recorded
 * by the kit's {@link RecordingTelemetry}.
 */
public final class BackendCallCount {

    private BackendCallCount() {
    }

    /** Per apiserver operation, the backend calls per call: e.g. {@code "v2 Encrypt" -> {wrap=1.0}}. */
    public record Counts(Map<String, Map<String, Double>> perOperation) {
    }

    public static Counts measure(int callsPerOperation) {
        InMemoryKeys keys = new InMemoryKeys();
        RecordingTelemetry telemetry = new RecordingTelemetry();
        EnvelopeService service = new EnvelopeService(Backend.of(keys), telemetry);
        Map<String, Map<String, Double>> result = new LinkedHashMap<>();

        byte[] material = new byte[32];
        ThreadLocalRandom.current().nextBytes(material);
        Plaintext dataKey = new Plaintext(material);
        EncryptResult sealed = service.encrypt(dataKey, call());

        for (String name : new String[] {"v1", "v2"}) {
            result.put(name + " Encrypt", perCall(keys, telemetry, callsPerOperation,
                    () -> service.encrypt(dataKey, call())));

            // v1beta1 carries no key_id; v2 sends the one Encrypt returned, which the service checks from memory.
            DecryptRequest request = name.equals("v2")
                    ? DecryptRequest.v2(sealed.ciphertext(), Optional.of(sealed.keyId()), sealed.annotations())
                    : DecryptRequest.of(sealed.ciphertext());
            result.put(name + " Decrypt", perCall(keys, telemetry, callsPerOperation, () -> {
                Plaintext back = service.decrypt(request, call());
                if (!back.equals(dataKey)) {
                    throw new IllegalStateException("decrypt returned a different data key");
                }
            }));
        }
        result.put("v2 Status", perCall(keys, telemetry, callsPerOperation, service::status));
        return new Counts(result);
    }

    /** Runs {@code operation} {@code calls} times; the wraps and unwraps per call, checked against telemetry. */
    private static Map<String, Double> perCall(InMemoryKeys keys, RecordingTelemetry telemetry, int calls,
            Runnable operation) {
        int wraps = keys.wraps();
        int unwraps = keys.unwraps();
        telemetry.backendCalls.clear();
        for (int i = 0; i < calls; i++) {
            operation.run();
        }
        wraps = keys.wraps() - wraps;
        unwraps = keys.unwraps() - unwraps;
        Map<String, Double> counts = new LinkedHashMap<>();
        counts.put("wrap", wraps / (double) calls);
        counts.put("unwrap", unwraps / (double) calls);
        int reported = telemetry.backendCalls.size();
        if (wraps + unwraps != reported) {
            throw new IllegalStateException("the backend saw " + (wraps + unwraps) + " calls but telemetry reported "
                    + reported + " " + telemetry.backendCalls);
        }
        return counts;
    }

    private static CallContext call() {
        return CallContext.of("bench-count", Duration.ofSeconds(5));
    }
}
