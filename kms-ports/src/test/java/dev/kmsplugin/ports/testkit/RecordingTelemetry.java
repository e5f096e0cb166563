package dev.kmsplugin.ports.testkit;

import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Telemetry that remembers what it was told, as short strings tests can compare. */
public final class RecordingTelemetry implements Telemetry {

    /** {@code api/method code} per request. */
    public final List<String> requests = new CopyOnWriteArrayList<>();
    /** {@code operation:outcome} per backend call. */
    public final List<String> backendCalls = new CopyOnWriteArrayList<>();
    /** {@code operation:reason} per retry. */
    public final List<String> retries = new CopyOnWriteArrayList<>();
    public final List<KeyId> currentKeys = new CopyOnWriteArrayList<>();
    /** The creation time told with each of {@link #currentKeys}, in the same order; null when not told. */
    public final List<Instant> currentKeysCreated = new CopyOnWriteArrayList<>();

    /**
     * Streams close just after the client has its answer: waits until {@code request} is recorded, false only when it
     * still is not after {@link Await#HANG_GUARD} (a hang, not a slow machine).
     */
    public boolean awaits(String request) {
        return Await.until(() -> requests.contains(request), Await.HANG_GUARD);
    }

    @Override
    public void requestCompleted(String api, String method, String code, Duration elapsed) {
        requests.add(api + "/" + method + " " + code);
    }

    @Override
    public void backendCallCompleted(String operation, String outcome, Duration elapsed) {
        backendCalls.add(operation + ":" + outcome);
    }

    @Override
    public void backendRetried(String operation, String reason) {
        retries.add(operation + ":" + reason);
    }

    @Override
    public void currentKeyChanged(KeyId keyId) {
        currentKeyChanged(keyId, null);
    }

    @Override
    public void currentKeyChanged(KeyId keyId, Instant created) {
        currentKeys.add(keyId);
        currentKeysCreated.add(created);
    }
}
