package dev.kmsplugin.adapter.grpc.kms;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * How every KMS call is answered: admitted to the bounded pool or refused at once, abandoned when the caller has
 * gone or its deadline has passed, failures mapped in {@link KmsStatusMapping}, and one log line per call that
 * carries the uid and method (never a payload).
 */
public final class UnaryCalls {

    private static final Logger LOG = System.getLogger(UnaryCalls.class.getName());
    private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final CallAdmission admission;
    private final Duration defaultDeadline;
    private final AtomicLong refusals = new AtomicLong();
    private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - REFUSAL_LOG_INTERVAL_NANOS);
    private volatile boolean draining;
    private static final java.util.SplittableRandom SEED = new java.util.SplittableRandom();
    private static final ThreadLocal<java.util.SplittableRandom> RANDOM = ThreadLocal.withInitial(() -> {
        synchronized (SEED) {
            return SEED.split();
        }
    });

    /**
     * @param defaultDeadline how long a call without a deadline may take (the apiserver always sets one)
     */
    public UnaryCalls(CallAdmission admission, Duration defaultDeadline) {
        this.admission = admission;
        this.defaultDeadline = defaultDeadline;
    }

    /** Runs {@code work} on the bounded pool and answers {@code observer} with its result or mapped failure. */
    <T> void offload(String method, String uid, StreamObserver<T> observer,
            Function<CallContext, T> work) {
        ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) observer;
        // With a handler set, a response to a call that was cancelled meanwhile is dropped instead of throwing.
        call.setOnCancelHandler(() -> { });
        Context grpcContext = Context.current();
        // v1beta1 carries no uid; give the call one so its log lines (and an INTERNAL error) can be matched up.
        String callUid = uid == null || uid.isEmpty() ? "gen-" + Long.toHexString(RANDOM.get().nextLong()) : uid;
        CallContext context = new CallContext(callUid, deadlineNanos(grpcContext.getDeadline()));
        long start = System.nanoTime();
        if (draining) {
            finish(method, context, call, Status.UNAVAILABLE.withDescription("the KMS plugin is shutting down;"
                    + " retry against its successor"), start);
            return;
        }
        boolean admitted = admission.tryRun(grpcContext.wrap(() -> run(method, context, call, work, start)));
        if (!admitted) {
            noteRefusal();
            Status refused = Status.RESOURCE_EXHAUSTED.withDescription("the KMS plugin is already working on "
                    + admission.limit() + " calls (its --max-concurrent-calls); retry shortly");
            finish(method, context, call, refused, start);
        }
    }

    /**
     * Refuses new Encrypt and Decrypt calls with UNAVAILABLE and waits, at most until {@code deadlineNanos}, for the
     * admitted ones to finish. Their answers are then on the wire before the connection is told to go away.
     *
     * @return true when no call is left in flight
     */
    public boolean drain(long deadlineNanos) {
        draining = true;
        while (admission.inFlight() > 0 && System.nanoTime() < deadlineNanos) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return admission.inFlight() == 0;
    }

    /** Answers a cheap call (Status, Version) inline; these must answer even while the pool is full. */
    <T> void inline(String method, StreamObserver<T> observer, Function<CallContext, T> work) {
        ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) observer;
        call.setOnCancelHandler(() -> { });
        CallContext context = new CallContext(null, deadlineNanos(Context.current().getDeadline()));
        run(method, context, call, work, System.nanoTime());
    }

    private <T> void run(String method, CallContext context, ServerCallStreamObserver<T> call,
            Function<CallContext, T> work, long start) {
        if (call.isCancelled() || Context.current().isCancelled()) {
            // The caller has gone or its deadline passed while the call waited: do no work for nobody.
            log(Level.DEBUG, method, context, "CANCELLED", "abandoned before it started: the caller stopped waiting",
                    start);
            return;
        }
        T response;
        try {
            response = work.apply(context);
        } catch (KmsException failure) {
            finish(method, context, call, KmsStatusMapping.toStatus(failure), start);
            return;
        } catch (RuntimeException | Error unexpected) {
            LOG.log(Level.ERROR, "uid=" + context.uid() + " method=" + method + ": unexpected failure", unexpected);
            finish(method, context, call, KmsStatusMapping.internal(context.uid()), start);
            if (unexpected instanceof Error error && !(error instanceof AssertionError)) {
                throw error;
            }
            return;
        }
        if (call.isCancelled()) {
            log(Level.DEBUG, method, context, "CANCELLED", "finished after the caller stopped waiting", start);
            return;
        }
        call.onNext(response);
        call.onCompleted();
        log(Level.DEBUG, method, context, "OK", "", start);
    }

    private <T> void finish(String method, CallContext context, ServerCallStreamObserver<T> call, Status status,
            long start) {
        if (!call.isCancelled()) {
            call.onError(status.asRuntimeException());
        }
        log(levelOf(status.getCode()), method, context, status.getCode().name(), status.getDescription(), start);
    }

    private static Level levelOf(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, DEADLINE_EXCEEDED, CANCELLED -> Level.INFO;
            case RESOURCE_EXHAUSTED -> Level.DEBUG; // counted and summarised by noteRefusal
            default -> Level.WARNING;
        };
    }

    private static void log(Level level, String method, CallContext context, String code, String detail, long start) {
        if (LOG.isLoggable(level)) {
            long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            LOG.log(level, "uid=" + context.uid() + " method=" + method + " code=" + code + " micros=" + micros
                    + (detail == null || detail.isEmpty() ? "" : " detail=\"" + detail + "\""));
        }
    }

    // A flood of refusals must not become a flood of log lines: one summary every ten seconds at most.
    private void noteRefusal() {
        long count = refusals.incrementAndGet();
        long now = System.nanoTime();
        long last = lastRefusalLog.get();
        if (now - last >= REFUSAL_LOG_INTERVAL_NANOS && lastRefusalLog.compareAndSet(last, now)) {
            refusals.addAndGet(-count);
            LOG.log(Level.WARNING, "refused " + count + " call(s) with RESOURCE_EXHAUSTED: " + admission.limit()
                    + " calls were already in flight (raise --max-concurrent-calls if the backend can take more)");
        }
    }

    private long deadlineNanos(Deadline deadline) {
        long remaining = deadline == null ? defaultDeadline.toNanos() : deadline.timeRemaining(TimeUnit.NANOSECONDS);
        return System.nanoTime() + remaining;
    }
}
