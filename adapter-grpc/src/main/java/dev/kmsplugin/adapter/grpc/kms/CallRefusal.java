package dev.kmsplugin.adapter.grpc.kms;

/**
 * Why the adapter itself declined a call before the use case saw it. These are not domain failures (the domain
 * never sees the call), so they stay inside the adapter; {@link KmsStatusMapping} turns them into a status like
 * every other failure.
 */
public abstract sealed class CallRefusal extends RuntimeException {

    private CallRefusal(String message) {
        super(message, null, false, false);
    }

    /** The bounded call pool is full. */
    public static final class Overloaded extends CallRefusal {
        public Overloaded(int limit) {
            super("the KMS plugin is already working on " + limit + " calls (its --max-concurrent-calls);"
                    + " retry shortly");
        }
    }

    /** The plugin is shutting down and takes no new Encrypt or Decrypt call. */
    public static final class Draining extends CallRefusal {
        public Draining() {
            super("the KMS plugin is shutting down; retry against its successor");
        }
    }

    /** The request bytes are not a protobuf message of the method's request type. */
    public static final class Malformed extends CallRefusal {
        public Malformed(String method) {
            super("the request to " + method + " is not a valid protobuf message of its request type;"
                    + " check that the client speaks this KMS API version");
        }
    }
}
