package dev.kmsplugin.domain.health;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The backend's health as last probed. {@link State#DEGRADED} means recent probes failed with a transient error
 * but the last success is within the grace window: the plugin still reports {@code ok} so that a short backend
 * hiccup does not close the apiserver's write gate.
 */
public record Health(State state, String detail, Instant lastSuccess, Instant lastProbe) {

    public enum State {
        /** No probe has finished yet. */
        UNKNOWN,
        HEALTHY,
        DEGRADED,
        UNHEALTHY
    }

    public Health {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(detail, "detail");
    }

    public static Health unknown() {
        return new Health(State.UNKNOWN, "the backend has not been probed yet", null, null);
    }

    /** Whether Status should answer {@code ok}. */
    public boolean serving() {
        return state == State.HEALTHY || state == State.DEGRADED;
    }

    public Optional<Instant> lastSuccessTime() {
        return Optional.ofNullable(lastSuccess);
    }
}
