package dev.kmsplugin.ports.outbound;

import dev.kmsplugin.domain.failure.KmsException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A backend's own work off the request path (health probes, key-version refreshes) on one daemon thread: each run
 * is reported to {@link Telemetry} as a backend operation with its outcome, and a failure reaches the caller's
 * handler as a {@link KmsException} (anything else as {@link KmsException.BackendUnavailable}), never the thread.
 * Both backends schedule their probe and refresh through it, so they report and fail alike.
 */
public final class BackgroundWork implements AutoCloseable {

    private final ScheduledExecutorService thread;
    private final Telemetry telemetry;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();

    /** @param threadName the name of the one thread, as thread dumps show it */
    public BackgroundWork(String threadName, Telemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread worker = new Thread(runnable, threadName);
            worker.setDaemon(true);
            return worker;
        });
    }

    /** Runs {@code work} now, on the caller's thread, reported as {@code operation}. */
    public void run(String operation, Runnable work, Consumer<KmsException> onFailure) {
        long start = System.nanoTime();
        String outcome = "ok";
        try {
            work.run();
        } catch (RuntimeException e) {
            outcome = Telemetry.outcome(e);
            onFailure.accept(e instanceof KmsException known ? known
                    : new KmsException.BackendUnavailable(operation + " failed: " + e, e));
        } finally {
            telemetry.backendCallCompleted(operation, outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** Runs {@code work} every {@code interval} (the first time one interval from now), each run after the last. */
    public void every(Duration interval, String operation, Runnable work, Consumer<KmsException> onFailure) {
        long millis = interval.toMillis();
        thread.scheduleWithFixedDelay(() -> run(operation, work, onFailure), millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs {@code work} once in the background as soon as the thread is free, unless a run of {@code operation}
     * asked this way is still waiting to start; after {@link #close()} it does nothing.
     */
    public void soon(String operation, Runnable work, Consumer<KmsException> onFailure) {
        if (!pending.add(operation)) {
            return;
        }
        try {
            thread.execute(() -> {
                // Asking again while this run is under way queues one more: it may have begun before the news.
                pending.remove(operation);
                run(operation, work, onFailure);
            });
        } catch (RejectedExecutionException closed) {
            pending.remove(operation);
        }
    }

    /** Stops the thread, interrupting a run in progress, and waits up to 5 s for it to end. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
