package dev.kmsplugin.ports.outbound;

import dev.kmsplugin.domain.key.KeyId;
import java.time.Duration;

/**
 * Where adapters report what they did, for metrics. Every argument is drawn from a small fixed set (API and method
 * names, gRPC code names, operation names, outcome names such as {@code ok} or a lowercase
 * {@link dev.kmsplugin.domain.failure.KmsException.Kind}): never an error message, a uid or a key.
 */
public interface Telemetry {

    /** A transport finished a request. */
    void requestCompleted(String api, String method, String code, Duration elapsed);

    /** A backend operation (wrap, unwrap, probe, refresh, ...) finished, after all its retries. */
    void backendCallCompleted(String operation, String outcome, Duration elapsed);

    /** A backend operation is being retried; {@code reason} is e.g. {@code throttled}, {@code server_error}. */
    void backendRetried(String operation, String reason);

    /** The current key version changed (or was first resolved). */
    void currentKeyChanged(KeyId keyId);

    /** Telemetry that records nothing, for tests and commands. */
    static Telemetry none() {
        return new Telemetry() {
            @Override
            public void requestCompleted(String api, String method, String code, Duration elapsed) {
            }

            @Override
            public void backendCallCompleted(String operation, String outcome, Duration elapsed) {
            }

            @Override
            public void backendRetried(String operation, String reason) {
            }

            @Override
            public void currentKeyChanged(KeyId keyId) {
            }
        };
    }
}
