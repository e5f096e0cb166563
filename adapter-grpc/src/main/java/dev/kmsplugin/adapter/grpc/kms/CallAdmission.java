package dev.kmsplugin.adapter.grpc.kms;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool on which Encrypt and Decrypt run, off the Netty event loops. At most {@code limit} calls are
 * admitted at once (running or about to run, one thread each); a call beyond that is refused at once, so the
 * caller sees RESOURCE_EXHAUSTED within microseconds instead of waiting in an unbounded queue.
 */
public final class CallAdmission implements AutoCloseable {

    private final int limit;
    private final Semaphore permits;
    private final ThreadPoolExecutor workers;

    public CallAdmission(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        this.limit = limit;
        this.permits = new Semaphore(limit);
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory threads = runnable -> {
            Thread thread = new Thread(runnable, "kms-grpc-call-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        // The semaphore bounds the queue to `limit` entries; idle threads retire after a minute.
        this.workers = new ThreadPoolExecutor(limit, limit, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
        this.workers.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code work} on a pool thread; false, without running it, when {@code limit} calls are in flight. */
    public boolean tryRun(Runnable work) {
        if (!permits.tryAcquire()) {
            return false;
        }
        try {
            workers.execute(() -> {
                try {
                    work.run();
                } finally {
                    permits.release();
                }
            });
            return true;
        } catch (RuntimeException rejected) { // the pool was shut down
            permits.release();
            return false;
        }
    }

    public int limit() {
        return limit;
    }

    public int inFlight() {
        return limit - permits.availablePermits();
    }

    /** Lets admitted calls finish for at most {@code grace}, then interrupts what is left. */
    public void shutdown(Duration grace) {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(Math.max(grace.toMillis(), 1), TimeUnit.MILLISECONDS)) {
                workers.shutdownNow();
                workers.awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
