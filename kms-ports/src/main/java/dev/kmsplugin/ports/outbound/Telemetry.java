package dev.kmsplugin.ports.outbound;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyId;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

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

    /**
     * The current key version changed (or was first resolved), with when that version was created, or null when the
     * backend does not know. Telemetry that does not record the creation time hears {@link #currentKeyChanged(KeyId)}.
     */
    default void currentKeyChanged(KeyId keyId, Instant created) {
        currentKeyChanged(keyId);
    }

    /**
     * Requests with these labels will happen: their series exist, at zero, before the first one, so that a rate over
     * them and an absence check behave from the start. Same label rules as {@link #requestCompleted}.
     */
    default void requestsExpected(String api, String method, String code) {
    }

    /** Backend operations with this outcome may happen: their series exist, at zero, before the first one. */
    default void backendCallsExpected(String operation, String outcome) {
    }

    /** Retries of this operation for this reason may happen: their series exist, at zero, before the first one. */
    default void retriesExpected(String operation, String reason) {
    }

    /** The outcome label of a backend operation that failed with {@code failure}: its kind, or internal_error. */
    static String outcome(Throwable failure) {
        return failure instanceof KmsException known ? outcome(known.kind()) : "internal_error";
    }

    /** The outcome label of a failure of {@code kind}, e.g. {@code unknown_key_version}. */
    static String outcome(KmsException.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

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
