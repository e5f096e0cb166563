package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.ports.outbound.Telemetry;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;

/**
 * Reports every call's outcome to {@link Telemetry}, including those gRPC itself ends (oversized messages,
 * deadlines, cancellations), because a stream tracer sees the final status of every stream.
 * Labels stay bounded: the API and method come from the method descriptor of a registered service.
 */
final class RequestTelemetry extends ServerStreamTracer.Factory {

    private static final List<String> KNOWN_METHODS = List.of("Version", "Status", "Encrypt", "Decrypt");
    // "v2.KeyManagementService/Encrypt" -> api v2, method Encrypt: looked up once per call, not parsed
    private static final Map<String, Route> ROUTES = routes();

    private final Telemetry telemetry;

    // What the two services answer Encrypt and Decrypt with besides OK (KmsStatusMapping), and what gRPC itself
    // ends a call with: declared at zero so that error ratios and their alerts see the series from the start.
    private static final List<String> EXPECTED_FAILURES = List.of("INVALID_ARGUMENT", "FAILED_PRECONDITION",
            "UNAVAILABLE", "RESOURCE_EXHAUSTED", "PERMISSION_DENIED", "DEADLINE_EXCEEDED", "INTERNAL");

    RequestTelemetry(Telemetry telemetry) {
        this.telemetry = telemetry;
        for (String api : List.of("v1beta1", "v2")) {
            for (String method : KNOWN_METHODS) {
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
        private final Route route;

        Tracer(String fullMethodName) {
            this.route = ROUTES.getOrDefault(fullMethodName, Route.OTHER);
        }

        @Override
        public void streamClosed(Status status) {
            telemetry.requestCompleted(route.api(), route.method(), status.getCode().name(),
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }

    private static Map<String, Route> routes() {
        Map<String, Route> routes = new HashMap<>();
        for (String api : List.of("v1beta1", "v2")) {
            for (String method : KNOWN_METHODS) {
                routes.put(api + ".KeyManagementService/" + method, new Route(api, method));
            }
        }
        return Map.copyOf(routes);
    }

    /** The labels of a known method; anything else is one "other" bucket. */
    private record Route(String api, String method) {
        static final Route OTHER = new Route("other", "other");
    }
}
