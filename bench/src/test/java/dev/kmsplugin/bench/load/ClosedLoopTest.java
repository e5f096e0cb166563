package dev.kmsplugin.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClosedLoopTest {

    @Test
    void counts_deadline_exceeded_as_timeouts_and_other_failures_as_errors_never_as_operations()
            throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        Result result = ClosedLoop.run("mixed", 2, Duration.ZERO, Duration.ofMillis(300), caller -> () -> {
            Thread.sleep(1);
            int n = calls.incrementAndGet();
            if (n % 3 == 0) {
                throw Status.DEADLINE_EXCEEDED.asRuntimeException();
            }
            if (n % 3 == 1) {
                throw new IllegalStateException("wrong answer");
            }
        });

        long all = result.operations() + result.errors() + result.timeouts();
        assertTrue(result.operations() > 10, "ran for 300 ms: " + result);
        assertEquals(all / 3.0, result.timeouts(), 2.0, "a third of the calls timed out");
        assertEquals(all / 3.0, result.errors(), 2.0, "a third failed");
        assertEquals(result.operations(), result.latencyNanos().getTotalCount(), "only successes have a latency");
        assertTrue(result.firstFailure().isPresent());
        assertTrue(!result.clean());
    }

    @Test
    void does_not_record_calls_started_during_the_warm_up() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        Result result = ClosedLoop.run("warm", 1, Duration.ofMillis(200), Duration.ofMillis(200), caller -> () -> {
            Thread.sleep(10);
            calls.incrementAndGet();
        });

        assertTrue(result.operations() < calls.get() * 0.7, result.operations() + " of " + calls.get()
                + " calls recorded although half the time was warm-up");
        assertTrue(result.clean());
        assertEquals(0.2, result.elapsed().toMillis() / 1000.0, 0.05);
    }
}
