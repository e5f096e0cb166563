package dev.kmsplugin.bench.targets;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the backend calls behind each apiserver operation: the plugin's own {@link EnvelopeService} (the class the
 * gRPC services call once per request) runs over the real SoftHSM backend, which a counting wrapper surrounds. Two
 * independent counts must agree: the calls the wrapper sees, and the {@code backendCallCompleted} events the
 * service reports to telemetry (what the metrics endpoint exposes).
 */
public final class BackendCallCount {

    private BackendCallCount() {
    }

    /** Per apiserver operation, the backend calls per call: e.g. {@code "v2 Encrypt" -> {wrap=1.0}}. */
    public record Counts(Map<String, Map<String, Double>> perOperation) {
    }

    public static Counts measure(KeyEncryptionKeys backend, int callsPerOperation) {
        Counting keys = new Counting(backend);
        CountingTelemetry telemetry = new CountingTelemetry();
        EnvelopeService service = new EnvelopeService(Backend.of(keys), telemetry);
        Map<String, Map<String, Double>> result = new LinkedHashMap<>();

        byte[] material = new byte[32];
        ThreadLocalRandom.current().nextBytes(material);
        Plaintext dataKey = new Plaintext(material);
        EncryptResult sealed = service.encrypt(dataKey, call());

        for (String name : new String[] {"v1", "v2"}) {
            keys.reset();
            telemetry.reset();
            for (int i = 0; i < callsPerOperation; i++) {
                service.encrypt(dataKey, call());
            }
            result.put(name + " Encrypt", keys.per(callsPerOperation, telemetry));

            // v1beta1 carries no key_id; v2 sends the one Encrypt returned, which the service checks from memory.
            DecryptRequest request = name.equals("v2")
                    ? DecryptRequest.v2(sealed.ciphertext(), Optional.of(sealed.keyId()), sealed.annotations())
                    : DecryptRequest.of(sealed.ciphertext());
            keys.reset();
            telemetry.reset();
            for (int i = 0; i < callsPerOperation; i++) {
                Plaintext back = service.decrypt(request, call());
                if (!back.equals(dataKey)) {
                    throw new IllegalStateException("decrypt returned a different data key");
                }
            }
            result.put(name + " Decrypt", keys.per(callsPerOperation, telemetry));
        }
        keys.reset();
        telemetry.reset();
        for (int i = 0; i < callsPerOperation; i++) {
            service.status();
        }
        result.put("v2 Status", keys.per(callsPerOperation, telemetry));
        return new Counts(result);
    }

    private static CallContext call() {
        return CallContext.of("bench-count", Duration.ofSeconds(5));
    }

    private static final class CountingTelemetry implements Telemetry {
        final Map<String, LongAdder> completed = new ConcurrentHashMap<>();

        void reset() {
            completed.clear();
        }

        @Override
        public void requestCompleted(String api, String method, String code, Duration elapsed) {
        }

        @Override
        public void backendCallCompleted(String operation, String outcome, Duration elapsed) {
            completed.computeIfAbsent(operation, key -> new LongAdder()).increment();
        }

        @Override
        public void backendRetried(String operation, String reason) {
        }

        @Override
        public void currentKeyChanged(KeyId keyId) {
        }
    }

    /** Counts the calls that reach the HSM (wrap, unwrap); the rest answer from memory. */
    private static final class Counting implements KeyEncryptionKeys {
        private final KeyEncryptionKeys backend;
        private final LongAdder wraps = new LongAdder();
        private final LongAdder unwraps = new LongAdder();

        Counting(KeyEncryptionKeys backend) {
            this.backend = backend;
        }

        void reset() {
            wraps.reset();
            unwraps.reset();
                    }

        Map<String, Double> per(int calls, CountingTelemetry telemetry) {
            Map<String, Double> counts = new LinkedHashMap<>();
            counts.put("wrap", wraps.sum() / (double) calls);
            counts.put("unwrap", unwraps.sum() / (double) calls);
            long seen = wraps.sum() + unwraps.sum();
            long reported = telemetry.completed.values().stream().mapToLong(LongAdder::sum).sum();
            if (seen != reported) {
                throw new IllegalStateException("the backend saw " + seen + " calls but telemetry reported "
                        + reported + " " + telemetry.completed);
            }
            return counts;
        }

        @Override
        public String describe() {
            return backend.describe();
        }

        @Override
        public KeyVersion current() {
            return backend.current();
        }

        @Override
        public KeyId keyId(KeyRef key) {
            return backend.keyId(key);
        }

        @Override
        public byte[] wrap(KeyVersion key, Plaintext dataKey, byte[] aad, CallContext call) {
            wraps.increment();
            return backend.wrap(key, dataKey, aad, call);
        }

        @Override
        public Plaintext unwrap(SealedDataKey sealed, CallContext call) {
            unwraps.increment();
            return backend.unwrap(sealed, call);
        }

        @Override
        public Health health() {
            return backend.health();
        }

        @Override
        public void close() {
            backend.close();
        }
    }
}
