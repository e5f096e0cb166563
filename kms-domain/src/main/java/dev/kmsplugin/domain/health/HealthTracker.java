package dev.kmsplugin.domain.health;

import dev.kmsplugin.domain.failure.KmsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Turns a stream of probe outcomes into the health Status reports. Rules:
 * <ul>
 *   <li>a successful probe makes the backend healthy;</li>
 *   <li>a transient failure (unavailable, throttled, deadline) keeps it serving while the last success is younger
 *       than the grace window, then makes it unhealthy;</li>
 *   <li>a hard failure (access denied, key or version gone, integrity, misconfiguration) makes it unhealthy at
 *       once: retrying will not help and the operator must act.</li>
 * </ul>
 * Thread-safe: state is one immutable value swapped atomically.
 */
public final class HealthTracker {

    private final Duration grace;
    private final Clock clock;
    private volatile Health health = Health.unknown();

    public HealthTracker(Duration grace, Clock clock) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace window must not be negative");
        }
        this.grace = grace;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public synchronized void succeeded() {
        Instant now = clock.instant();
        health = new Health(Health.State.HEALTHY, "ok", now, now);
    }

    public synchronized void failed(KmsException failure) {
        Instant now = clock.instant();
        Instant lastSuccess = health.lastSuccess();
        String detail = failure.getMessage();
        Health.State state = switch (failure.kind()) {
            case BACKEND_UNAVAILABLE, THROTTLED, DEADLINE_EXCEEDED ->
                    withinGrace(lastSuccess, now) ? Health.State.DEGRADED : Health.State.UNHEALTHY;
            case ACCESS_DENIED, UNKNOWN_KEY_VERSION, INTEGRITY_FAILURE, MISCONFIGURED, INVALID_INPUT ->
                    Health.State.UNHEALTHY;
        };
        health = new Health(state, detail, lastSuccess, now);
    }

    /** The current health; a degraded state turns unhealthy once the grace window has run out without a success. */
    public Health current() {
        Health snapshot = health;
        if (snapshot.state() == Health.State.DEGRADED && !withinGrace(snapshot.lastSuccess(), clock.instant())) {
            return new Health(Health.State.UNHEALTHY, snapshot.detail(), snapshot.lastSuccess(), snapshot.lastProbe());
        }
        return snapshot;
    }

    private boolean withinGrace(Instant lastSuccess, Instant now) {
        return lastSuccess != null && !now.isAfter(lastSuccess.plus(grace));
    }
}
