package dev.kmsplugin.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The loop runs on a ticker that only its operations move: each call takes exactly the time it advances the ticker,
 * so the window, the counts and the latencies are the same however slowly the machine runs the threads.
 */
class ClosedLoopTest {

    private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void counts_deadline_exceeded_as_timeouts_and_other_failures_as_errors_never_as_operations()
            throws InterruptedException {
        AtomicLong ticker = new AtomicLong(123_456_789L);
        AtomicInteger calls = new AtomicInteger();
        int callers = 2;
        Result result = ClosedLoop.run("mixed", callers, Duration.ZERO, Duration.ofMillis(300), caller -> () -> {
            ticker.addAndGet(MILLI); // each call takes 1 ms of ticker time
            int n = calls.incrementAndGet();
            if (n % 3 == 0) {
                throw Status.DEADLINE_EXCEEDED.asRuntimeException();
            }
            if (n % 3 == 1) {
                throw new IllegalStateException("wrong answer");
            }
        }, ticker::get);

        // 300 ms of 1 ms calls: the window closes after the 300th; each other caller may have begun one more.
        int made = calls.get();
        assertTrue(made >= 300 && made <= 300 + callers - 1, made + " calls in a 300 ms window of 1 ms calls");
        // Without a warm-up every call is recorded, each as exactly one of operation, error or timeout.
        assertEquals(made, result.operations() + result.errors() + result.timeouts(), result.toString());
        assertEquals(made / 3, result.timeouts(), "every third call timed out");
        assertEquals((made + 2) / 3, result.errors(), "every third call failed");
        assertEquals((made + 1) / 3, result.operations(), "every third call succeeded");
        assertEquals(result.operations(), result.latencyNanos().getTotalCount(), "only successes have a latency");
        assertTrue(result.latencyNanos().getMinValue() >= MILLI * 0.999, "a call lasts at least its own 1 ms: "
                + result.latencyNanos().getMinValue() + " ns");
        assertTrue(result.firstFailure().isPresent());
        assertTrue(!result.clean());
    }

    @Test
    void does_not_record_calls_started_during_the_warm_up() throws InterruptedException {
        AtomicLong ticker = new AtomicLong(-7_000_000_000L);
        AtomicInteger calls = new AtomicInteger();
        Result result = ClosedLoop.run("warm", 1, Duration.ofMillis(200), Duration.ofMillis(200), caller -> () -> {
            ticker.addAndGet(10 * MILLI); // each call takes 10 ms of ticker time
            calls.incrementAndGet();
        }, ticker::get);

        // 400 ms of 10 ms calls: 40 made, the 20 begun in the warm-up not recorded.
        assertEquals(40, calls.get());
        assertEquals(20, result.operations(), result.operations() + " of " + calls.get()
                + " calls recorded although half the time was warm-up");
        assertEquals(result.operations(), result.latencyNanos().getTotalCount());
        assertEquals(10.0, result.millis(0), 0.05, "every recorded call took 10 ms");
        assertEquals(10.0, result.maxMillis(), 0.05, "every recorded call took 10 ms");
        assertTrue(result.clean());
        assertEquals(Duration.ofMillis(200), result.elapsed(), "the window excludes the warm-up");
        assertEquals(100.0, result.throughput(), 1e-9, "20 calls in 0.2 s");
    }
}
