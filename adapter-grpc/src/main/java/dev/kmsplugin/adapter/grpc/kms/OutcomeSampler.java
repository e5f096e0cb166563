package dev.kmsplugin.adapter.grpc.kms;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Thins out repeated failure lines: the first call that fails with a given code and detail is logged, the same
 * failure again within the interval is only counted, and the first one after the interval is logged with the count
 * of those left out. A flood of identical failures then costs a line per interval, not a line per call. Lines whose
 * uid a caller was told to look up (INTERNAL) are never thinned, and neither are successes (logged at debug).
 */
final class OutcomeSampler {

    /** Distinct failures tracked at once; beyond this the table starts afresh, so memory stays bounded. */
    static final int MAX_KINDS = 1024;

    private final long intervalNanos;
    private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

    OutcomeSampler(long interval, TimeUnit unit) {
        this.intervalNanos = unit.toNanos(interval);
    }

    /** One failure kind's current window: when it opened, and how many were left out since. */
    private static final class Window {
        private final AtomicLong opened;
        private final AtomicLong suppressed = new AtomicLong();

        Window(long now) {
            opened = new AtomicLong(now);
        }
    }

    /**
     * Whether to log this failure now: -1 to leave it out, otherwise the number of identical failures left out
     * before it (0 for the first of a kind).
     */
    long admit(String code, String detail, long now) {
        if (windows.size() >= MAX_KINDS) {
            windows.clear();
        }
        String key = code + ' ' + detail;
        Window fresh = new Window(now);
        Window window = windows.putIfAbsent(key, fresh);
        if (window == null) {
            return 0;
        }
        long opened = window.opened.get();
        if (now - opened >= intervalNanos && window.opened.compareAndSet(opened, now)) {
            return window.suppressed.getAndSet(0);
        }
        window.suppressed.incrementAndGet();
        return -1;
    }
}
