package dev.kmsplugin.adapter.grpc.kms;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.io.InputStream;
import java.lang.System.Logger;
import java.util.concurrent.TimeUnit;

/**
 * Request bytes that are not a protobuf message of the method's request type are answered INVALID_ARGUMENT with
 * one rate-limited log line. (Left to grpc-java, the parse failure would surface as UNKNOWN "Application error
 * processing RPC" with an ERROR and a stack trace per call.) The service receives raw streams and parses them
 * inside this guard, where the failure can be caught; responses pass through unchanged.
 */
public final class MalformedRequests implements ServerInterceptor {

    private static final Logger LOG = System.getLogger(UnaryCalls.class.getName());
    private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    };

    private final RateLimitedLog lines = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));

    /** {@code service} with its requests parsed under this guard. */
    public ServerServiceDefinition guard(ServerServiceDefinition service) {
        return ServerInterceptors.intercept(ServerInterceptors.useMarshalledMessages(service, RAW), this);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
            private boolean rejected;

            @Override
            public void onMessage(Q message) {
                if (rejected) {
                    return;
                }
                try {
                    super.onMessage(message);
                } catch (RuntimeException unparsable) {
                    rejected = true;
                    String method = shortName(call.getMethodDescriptor().getFullMethodName());
                    lines.note(count -> count + " request(s) were not valid protobuf and were answered"
                            + " INVALID_ARGUMENT (last: " + method + ")");
                    call.close(KmsStatusMapping.toStatus(new CallRefusal.Malformed(method), ""), new Metadata());
                }
            }

            @Override
            public void onHalfClose() {
                if (!rejected) {
                    super.onHalfClose();
                }
            }
        };
    }

    // "v2.KeyManagementService/Decrypt" -> "v2/Decrypt", as the call lines name methods
    private static String shortName(String fullMethodName) {
        int dot = fullMethodName.indexOf('.');
        int slash = fullMethodName.indexOf('/');
        return dot > 0 && slash > dot ? fullMethodName.substring(0, dot) + fullMethodName.substring(slash)
                : fullMethodName;
    }
}
