package dev.kmsplugin.adapter.grpc.kms;

import dev.kmsplugin.domain.call.CallContext;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The one call runner: every KMS call is admitted to the bounded pool or refused at once, abandoned when the caller
 * has gone or its deadline has passed, answered with its result or with the status {@link KmsStatusMapping} gives
 * its failure, and logged as one {@link CallOutcome} (uid and method, never a payload).
 */
public final class UnaryCalls {

    // The documented logger name of call lines (docs/operations-endpoints.md).
    private static final Logger LOG = System.getLogger(UnaryCalls.class.getName());
    private static final SplittableRandom SEED = new SplittableRandom();
    private static final ThreadLocal<SplittableRandom> RANDOM = ThreadLocal.withInitial(() -> {
        synchronized (SEED) {
            return SEED.split();
        }
    });

    private final CallAdmission admission;
    private final Duration defaultDeadline;
    private final RateLimitedLog refusals = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
    private final OutcomeSampler failures = new OutcomeSampler(10, TimeUnit.SECONDS);
    private volatile boolean draining;

    /**
     * @param defaultDeadline how long a call without a deadline may take (the apiserver always sets one)
     */
    public UnaryCalls(CallAdmission admission, Duration defaultDeadline) {
        this.admission = admission;
        this.defaultDeadline = defaultDeadline;
    }

    /** Runs {@code work} on the bounded pool and answers {@code observer} with its result or mapped failure. */
    <T> void offload(String method, String uid, StreamObserver<T> observer, Function<CallContext, T> work) {
        ServerCallStreamObserver<T> call = prepare(observer);
        Context grpcContext = Context.current();
        // v1beta1 carries no uid; give the call one so its log lines (and an INTERNAL error) can be matched up.
        String callUid = uid == null || uid.isEmpty() ? "gen-" + Long.toHexString(RANDOM.get().nextLong()) : uid;
        CallContext context = new CallContext(callUid, deadlineNanos(grpcContext.getDeadline()));
        long start = System.nanoTime();
        if (draining) {
            fail(method, context, call, new CallRefusal.Draining(), start);
        } else if (!admission.tryRun(grpcContext.wrap(() -> run(method, context, call, work, start)))) {
            refusals.note(count -> "refused " + count + " call(s) with RESOURCE_EXHAUSTED: " + admission.limit()
                    + " calls were already in flight (raise --max-concurrent-calls if the backend can take more)");
            fail(method, context, call, new CallRefusal.Overloaded(admission.limit()), start);
        }
    }

    /** Answers a cheap call (Status, Version) inline; these must answer even while the pool is full. */
    <T> void inline(String method, StreamObserver<T> observer, Function<CallContext, T> work) {
        ServerCallStreamObserver<T> call = prepare(observer);
        CallContext context = new CallContext(null, deadlineNanos(Context.current().getDeadline()));
        run(method, context, call, work, System.nanoTime());
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

    private static <T> ServerCallStreamObserver<T> prepare(StreamObserver<T> observer) {
        ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) observer;
        // With a handler set, a response to a call that was cancelled meanwhile is dropped instead of throwing.
        call.setOnCancelHandler(() -> { });
        return call;
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
        } catch (RuntimeException | Error failure) {
            fail(method, context, call, failure, start);
            if (failure instanceof Error error && !(error instanceof AssertionError)) {
                throw error;
            }
            return;
        }
        if (call.isCancelled()) {
            log(Level.DEBUG, method, context, "CANCELLED", "finished after the caller stopped waiting", start);
            return;
        }
        log(Level.DEBUG, method, context, "OK", "", start);
        call.onNext(response);
        call.onCompleted();
    }

    private <T> void fail(String method, CallContext context, ServerCallStreamObserver<T> call,
            Throwable failure, long start) {
        Status status = KmsStatusMapping.toStatus(failure, context.uid());
        // Logged before the caller hears of it: a caller that then looks for its uid finds the line. A failure
        // nobody anticipated (INTERNAL) is never sampled, and its line carries the exception and its stack.
        boolean internal = status.getCode() == Status.Code.INTERNAL;
        String detail = KmsStatusMapping.forLog(failure);
        long left = internal ? 0 : failures.admit(status.getCode().name(), detail, System.nanoTime());
        if (left >= 0) {
            log(internal ? Level.ERROR : levelOf(status.getCode()), method, context, status.getCode().name(),
                    left == 0 ? detail : detail + " (" + left + " identical failure(s) not logged since the last)",
                    start, internal ? failure : null);
        }
        if (!call.isCancelled()) {
            call.onError(status.asRuntimeException());
        }
    }

    private static Level levelOf(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, DEADLINE_EXCEEDED, CANCELLED -> Level.INFO;
            case RESOURCE_EXHAUSTED -> Level.DEBUG; // counted and summarised by the rate-limited refusal line
            default -> Level.WARNING;
        };
    }

    private static void log(Level level, String method, CallContext context, String code, String detail, long start) {
        log(level, method, context, code, detail, start, null);
    }

    /** The call's one outcome line; a {@code thrown} goes with it as a second parameter, for its stack trace. */
    private static void log(Level level, String method, CallContext context, String code, String detail, long start,
                            Throwable thrown) {
        if (LOG.isLoggable(level)) {
            long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            Object fields = new CallOutcome(context.uid(), method, code, micros, detail).fields();
            if (thrown == null) {
                LOG.log(level, CallOutcome.MESSAGE, fields);
            } else {
                LOG.log(level, CallOutcome.MESSAGE, fields, thrown);
            }
        }
    }

    private long deadlineNanos(Deadline deadline) {
        long remaining = deadline == null ? defaultDeadline.toNanos() : deadline.timeRemaining(TimeUnit.NANOSECONDS);
        return System.nanoTime() + remaining;
    }
}
