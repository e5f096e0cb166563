package dev.kmsplugin.bench.load;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * N callers, each making its next call as soon as the previous one answers, as kube-apiserver's storage layer does
 * under load. Calls started during the warm-up are made but not recorded; the measurement window starts for all
 * callers at once. Each caller keeps its own histogram (no shared state on the hot path); they are merged at the end.
 */
public final class ClosedLoop {

    /** Latencies above a minute are clamped; a call that long has long since failed its deadline. */
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

    private ClosedLoop() {
    }

    /**
     * @param perCaller makes caller {@code i}'s operation; preparation (e.g. an Encrypt whose ciphertext the caller
     *                  then decrypts) happens here, outside the timed window
     */
    public static Result run(String name, int callers, Duration warmup, Duration duration,
            IntFunction<TimedCall> perCaller) throws InterruptedException {
        return run(name, callers, warmup, duration, perCaller, System::nanoTime);
    }

    /** As the public {@code run}, timed by {@code nanoTicker} (tests pass a ticker their operations advance). */
    static Result run(String name, int callers, Duration warmup, Duration duration,
            IntFunction<TimedCall> perCaller, LongSupplier nanoTicker) throws InterruptedException {
        List<TimedCall> operations = new ArrayList<>(callers);
        for (int i = 0; i < callers; i++) {
            try {
                operations.add(perCaller.apply(i));
            } catch (RuntimeException e) {
                throw new IllegalStateException(name + ": preparing caller " + i + " failed: " + e, e);
            }
        }
        Histogram[] histograms = new Histogram[callers];
        AtomicLong errors = new AtomicLong();
        AtomicLong timeouts = new AtomicLong();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(callers);
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>(callers);
        for (int i = 0; i < callers; i++) {
            Histogram histogram = new Histogram(HIGHEST_NANOS, 3);
            histograms[i] = histogram;
            TimedCall operation = operations.get(i);
            Thread thread = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long measureFrom = window[0];
                long until = window[1];
                while (true) {
                    long start = nanoTicker.getAsLong();
                    if (start - until >= 0) {
                        return;
                    }
                    try {
                        operation.call();
                    } catch (Exception e) {
                        if (start - measureFrom >= 0) {
                            if (isTimeout(e)) {
                                timeouts.incrementAndGet();
                            } else {
                                errors.incrementAndGet();
                            }
                            firstFailure.compareAndSet(null, e.toString());
                        }
                        continue;
                    }
                    long elapsed = nanoTicker.getAsLong() - start;
                    if (start - measureFrom >= 0) {
                        histogram.recordValue(Math.min(elapsed, HIGHEST_NANOS));
                    }
                }
            }, "bench-caller-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        ready.await();
        long now = nanoTicker.getAsLong();
        window[0] = now + warmup.toNanos();
        window[1] = window[0] + duration.toNanos();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        // Calls still in flight at the end of the window finish after it: count the window up to the last answer.
        long elapsed = Math.max(nanoTicker.getAsLong(), window[1]) - window[0];
        Histogram merged = new Histogram(HIGHEST_NANOS, 3);
        for (Histogram histogram : histograms) {
            merged.add(histogram);
        }
        return new Result(name, callers, merged.getTotalCount(), Duration.ofNanos(elapsed), merged, errors.get(),
                timeouts.get(), Optional.ofNullable(firstFailure.get()));
    }

    private static boolean isTimeout(Throwable e) {
        return Status.fromThrowable(e).getCode() == Status.Code.DEADLINE_EXCEEDED;
    }
}
