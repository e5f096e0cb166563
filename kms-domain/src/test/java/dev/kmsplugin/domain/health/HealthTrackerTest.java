package dev.kmsplugin.domain.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class HealthTrackerTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final HealthTracker tracker = new HealthTracker(Duration.ofMinutes(2), clock);

    @Test
    void unknown_until_the_first_probe_and_not_serving() {
        assertEquals(Health.State.UNKNOWN, tracker.current().state());
        assertFalse(tracker.current().serving());
    }

    @Test
    void a_transient_failure_keeps_serving_within_the_grace_window_then_stops() {
        tracker.succeeded();
        clock.now = clock.now.plusSeconds(60);
        tracker.failed(new KmsException.BackendUnavailable("key vault timed out"));
        assertEquals(Health.State.DEGRADED, tracker.current().state());
        assertTrue(tracker.current().serving());

        clock.now = clock.now.plusSeconds(61);
        assertEquals(Health.State.UNHEALTHY, tracker.current().state(), "grace window of 120 s has run out");
        assertEquals("key vault timed out", tracker.current().detail());
    }

    @Test
    void a_hard_failure_is_unhealthy_at_once() {
        tracker.succeeded();
        tracker.failed(new KmsException.AccessDenied("wrapKey is not permitted"));
        assertEquals(Health.State.UNHEALTHY, tracker.current().state());
        assertFalse(tracker.current().serving());
    }

    @Test
    void a_transient_failure_before_any_success_is_unhealthy() {
        tracker.failed(new KmsException.Throttled("429", Duration.ofSeconds(1)));
        assertEquals(Health.State.UNHEALTHY, tracker.current().state());
    }

    @Test
    void a_success_after_failures_heals() {
        tracker.failed(new KmsException.AccessDenied("denied"));
        clock.now = clock.now.plusSeconds(5);
        tracker.succeeded();
        Health health = tracker.current();
        assertEquals(Health.State.HEALTHY, health.state());
        assertEquals(clock.now, health.lastSuccess());
    }
}
