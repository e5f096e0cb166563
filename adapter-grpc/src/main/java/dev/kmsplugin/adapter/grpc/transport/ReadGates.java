package dev.kmsplugin.adapter.grpc.transport;

import io.grpc.Attributes;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads at most {@code perConnection} requests of one connection at a time. gRPC buffers a request as it reads it,
 * up to the largest message allowed, and gives the HTTP/2 flow-control window back as it goes; a stream whose
 * request is not being read keeps its bytes inside the (small) window instead. So the request bytes one connection
 * can make the plugin hold are at most {@code perConnection} x the largest message + the connection's window, and
 * all of them at most that times the connection cap. A request's read slot is freed as soon as its message has
 * arrived (or the call ends); the apiserver's requests arrive in one frame, so they never wait long.
 */
final class ReadGates extends ServerTransportFilter implements ServerInterceptor {

    private static final Attributes.Key<Gate> GATE = Attributes.Key.create("kms-plugin.read-gate");

    private final int perConnection;

    ReadGates(int perConnection) {
        this.perConnection = perConnection;
    }

    @Override
    public Attributes transportReady(Attributes transportAttrs) {
        return transportAttrs.toBuilder().set(GATE, new Gate(perConnection)).build();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
        Gate gate = call.getAttributes().get(GATE);
        if (gate == null) {
            return next.startCall(call, headers);
        }
        AtomicBoolean holds = new AtomicBoolean();
        AtomicBoolean asked = new AtomicBoolean();
        AtomicBoolean ended = new AtomicBoolean();
        ServerCall<Q, R> gated = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void request(int count) {
                if (asked.compareAndSet(false, true)) {
                    gate.enter(() -> {
                        if (ended.get()) {
                            gate.leave();
                            return;
                        }
                        holds.set(true);
                        super.request(count);
                    });
                } else {
                    super.request(count);
                }
            }
        };
        Runnable free = () -> {
            if (holds.compareAndSet(true, false)) {
                gate.leave();
            }
        };
        ServerCall.Listener<Q> listener = next.startCall(gated, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                free.run();
                super.onMessage(message);
            }

            @Override
            public void onCancel() {
                ended.set(true);
                free.run();
                super.onCancel();
            }

            @Override
            public void onComplete() {
                ended.set(true);
                free.run();
                super.onComplete();
            }
        };
    }

    /** One connection's read slots; waiting requests get a slot in the order they asked. */
    static final class Gate {
        private final int slots;
        private int used;
        private final Queue<Runnable> waiting = new ArrayDeque<>();

        Gate(int slots) {
            this.slots = slots;
        }

        void enter(Runnable granted) {
            synchronized (this) {
                if (used >= slots) {
                    waiting.add(granted);
                    return;
                }
                used++;
            }
            granted.run();
        }

        void leave() {
            Runnable next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    used--;
                    return;
                }
            }
            next.run(); // the slot passes on
        }
    }
}
