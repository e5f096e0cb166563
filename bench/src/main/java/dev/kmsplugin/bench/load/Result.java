package dev.kmsplugin.bench.load;

import java.time.Duration;
import java.util.Optional;
import org.HdrHistogram.Histogram;

/** What one scenario measured: completed operations, their latency distribution, and what went wrong. */
public record Result(String name, int callers, long operations, Duration elapsed, Histogram latencyNanos, long errors,
        long timeouts, Optional<String> firstFailure) {

    public double throughput() {
        return operations / (elapsed.toNanos() / 1e9);
    }

    public double millis(double percentile) {
        return latencyNanos.getValueAtPercentile(percentile) / 1e6;
    }

    public double maxMillis() {
        return latencyNanos.getMaxValue() / 1e6;
    }

    public boolean clean() {
        return errors == 0 && timeouts == 0;
    }
}
