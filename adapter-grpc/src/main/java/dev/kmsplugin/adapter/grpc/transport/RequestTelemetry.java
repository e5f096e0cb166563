package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.ports.outbound.Telemetry;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Reports every call's outcome to {@link Telemetry}, including those gRPC itself ends (oversized messages,
 * deadlines, cancellations), because a stream tracer sees the final status of every stream.
 * Labels stay bounded: the API and method come from the method descriptor of a registered service.
 */
final class RequestTelemetry extends ServerStreamTracer.Factory {

    // Checked on every call: a set lookup, not a regular expression compiled each time.
    private static final Set<String> KNOWN_METHODS = Set.of("Version", "Status", "Encrypt", "Decrypt");

    private final Telemetry telemetry;

    // What the two services answer Encrypt and Decrypt with besides OK (KmsStatusMapping), and what gRPC itself
    // ends a call with: declared at zero so that error ratios and their alerts see the series from the start.
    private static final List<String> EXPECTED_FAILURES = List.of("INVALID_ARGUMENT", "FAILED_PRECONDITION",
            "UNAVAILABLE", "RESOURCE_EXHAUSTED", "PERMISSION_DENIED", "DEADLINE_EXCEEDED", "INTERNAL");

    RequestTelemetry(Telemetry telemetry) {
        this.telemetry = telemetry;
        for (String api : List.of("v1beta1", "v2")) {
            for (String method : List.of("Version", "Status", "Encrypt", "Decrypt")) {
                telemetry.requestsExpected(api, method, "OK");
                if (method.equals("Encrypt") || method.equals("Decrypt")) {
                    EXPECTED_FAILURES.forEach(code -> telemetry.requestsExpected(api, method, code));
                }
            }
        }
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return new Tracer(fullMethodName);
    }

    private final class Tracer extends ServerStreamTracer {
        private final long start = System.nanoTime();
        private final String api;
        private final String method;

        Tracer(String fullMethodName) {
            // "v2.KeyManagementService/Encrypt" -> api v2, method Encrypt; anything else is one "other" bucket
            String api = "other";
            String method = "other";
            int slash = fullMethodName.indexOf('/');
            if (slash > 0) {
                String service = fullMethodName.substring(0, slash);
                String name = fullMethodName.substring(slash + 1);
                if ((service.equals("v1beta1.KeyManagementService") || service.equals("v2.KeyManagementService"))
                        && KNOWN_METHODS.contains(name)) {
                    api = service.substring(0, service.indexOf('.'));
                    method = name;
                }
            }
            this.api = api;
            this.method = method;
        }

        @Override
        public void streamClosed(Status status) {
            telemetry.requestCompleted(api, method, status.getCode().name(),
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
