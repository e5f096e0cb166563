package dev.kmsplugin.domain.call;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CallContextTest {

    @Test
    void an_expired_deadline_abandons_the_call() {
        CallContext call = CallContext.of("uid-1", Duration.ofNanos(-1));
        KmsException.DeadlineExceeded error = assertThrows(KmsException.DeadlineExceeded.class,
                () -> call.checkDeadline("before wrapping"));
        assertTrue(error.getMessage().contains("before wrapping"));
    }

    @Test
    void a_future_deadline_leaves_time() {
        // An hour, so that no pause of a loaded machine between these lines can use the time up.
        long before = System.nanoTime();
        CallContext call = CallContext.of("uid-1", Duration.ofHours(1));
        call.checkDeadline("now");
        assertTrue(call.deadlineNanos() - before >= Duration.ofHours(1).toNanos(), "the deadline is an hour on");
        assertTrue(call.remaining().compareTo(Duration.ofMinutes(59)) > 0);
        assertTrue(call.remaining().compareTo(Duration.ofHours(1)) <= 0);
    }

    @Test
    void uids_are_made_safe_to_log() {
        assertEquals("-", CallContext.of(null, Duration.ofSeconds(1)).uid());
        assertEquals("a_b_c", CallContext.of("a\nb\"c", Duration.ofSeconds(1)).uid());
        assertEquals(128, CallContext.of("x".repeat(500), Duration.ofSeconds(1)).uid().length());
    }
}
