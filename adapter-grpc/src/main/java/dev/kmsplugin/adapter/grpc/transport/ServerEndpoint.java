package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.adapter.grpc.client.KmsClient;
import io.grpc.ServerBuilder;
import java.io.IOException;

/**
 * Where the transport's server listens: hands {@link GrpcTransport} a {@link ServerBuilder} bound to it, and looks
 * after what the address needs around the server's life. Production is {@link UnixSocketEndpoint} (Netty epoll on
 * a unix socket); tests may use an in-process builder.
 */
public interface ServerEndpoint {

    /** Claims the address and returns a builder bound to it. Called once. */
    ServerBuilder<?> open() throws IOException;

    /** What to tell the operator when the server cannot bind: by default the failure itself. */
    default Exception explain(IOException bindFailure) {
        return bindFailure;
    }

    /** The server answers: make the address reachable. */
    void publish();

    /** Stop new connections (the first step of shutdown); connected callers keep their connection. */
    void withdraw();

    /** Releases everything {@link #open} took; safe to call more than once and without {@code open}. */
    void release();

    /** A client that calls the server the way kube-apiserver does, for the self-check. */
    KmsClient client();

    /** The address as an operator writes it. */
    String describe();
}
