package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.adapter.grpc.kms.KmsStatusMapping;
import dev.kmsplugin.adapter.grpc.kms.RateLimitedLog;
import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import io.grpc.netty.shaded.io.netty.util.internal.ThreadExecutorMap;
import java.lang.System.Logger;
import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ends a call whose request has not fully arrived (its message and the client's half-close) {@code timeout} after
 * the call started. The caller's deadline and the default deadline only run once a request is complete, so without
 * this a client could open streams, announce a large message, send part of it and hold the buffers for ever. The
 * call is closed with DEADLINE_EXCEEDED, which ends the stream and releases what gRPC buffered for it.
 */
final class RequestReadLimit implements ServerInterceptor, AutoCloseable {

    private static final Logger LOG = System.getLogger(RequestReadLimit.class.getName());
    private static final int WAITING = 0;
    private static final int ARRIVED = 1;
    private static final int EXPIRED = 2;

    private final Duration timeout;
    /** Only for transports without an event loop (the in-process transport of tests). */
    private final ScheduledExecutorService timer;
    private final RateLimitedLog expired = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));

    RequestReadLimit(Duration timeout) {
        this.timeout = timeout;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, "kms-grpc-request-timer");
            thread.setDaemon(true);
            return thread;
        });
        pool.setRemoveOnCancelPolicy(true);
        this.timer = pool;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
        AtomicInteger state = new AtomicInteger(WAITING);
        Runnable expire = () -> {
            if (state.compareAndSet(WAITING, EXPIRED)) {
                expired.note(count -> "ended " + count + " call(s) whose request was not complete "
                        + timeout.toMillis() + " ms after it started (--request-read-timeout); last: "
                        + call.getMethodDescriptor().getFullMethodName());
                call.close(KmsStatusMapping.toStatus(new KmsException.DeadlineExceeded("the request did not arrive"
                        + " within " + timeout.toMillis() + " ms of the call's start (--request-read-timeout)")),
                        new Metadata());
            }
        };
        // On the connection's event loop when there is one: the call's callbacks run there too (direct executor),
        // so closing it never races them.
        EventExecutor loop = ThreadExecutorMap.currentExecutor();
        Future<?> alarm = loop != null
                ? loop.schedule(expire, timeout.toNanos(), TimeUnit.NANOSECONDS)
                : timer.schedule(expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                // Complete only with the half-close: a message without END_STREAM still holds the stream open.
                if (state.get() != EXPIRED) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                if (state.compareAndSet(WAITING, ARRIVED)) {
                    alarm.cancel(false);
                }
                if (state.get() == ARRIVED) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onCancel() {
                alarm.cancel(false);
                super.onCancel();
            }

            @Override
            public void onComplete() {
                alarm.cancel(false);
                super.onComplete();
            }
        };
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
