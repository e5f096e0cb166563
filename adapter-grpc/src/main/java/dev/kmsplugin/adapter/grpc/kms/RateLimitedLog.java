package dev.kmsplugin.adapter.grpc.kms;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * A flood of refused or malformed calls must not become a flood of log lines: events are counted, and one
 * WARNING line summarising the count is written at most once per interval.
 */
public final class RateLimitedLog {

    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong lastLine;

    public RateLimitedLog(Logger log, long intervalNanos) {
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.lastLine = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    /** Counts one event; writes {@code line.apply(eventsSinceLastLine)} when the interval has passed. */
    public void note(LongFunction<String> line) {
        long events = count.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLine.get();
        if (now - last >= intervalNanos && lastLine.compareAndSet(last, now)) {
            count.addAndGet(-events);
            log.log(Level.WARNING, line.apply(events));
        }
    }
}
