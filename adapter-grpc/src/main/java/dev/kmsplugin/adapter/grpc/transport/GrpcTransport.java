package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.adapter.grpc.client.SelfCheck;
import dev.kmsplugin.adapter.grpc.kms.CallAdmission;
import dev.kmsplugin.adapter.grpc.kms.GrpcKmsV1beta1Service;
import dev.kmsplugin.adapter.grpc.kms.GrpcKmsV2Service;
import dev.kmsplugin.adapter.grpc.kms.MalformedRequests;
import dev.kmsplugin.adapter.grpc.kms.RuntimeInfo;
import dev.kmsplugin.adapter.grpc.kms.UnaryCalls;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Transport;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Both KMS services on one gRPC server, built from whatever {@link ServerBuilder} the {@link ServerEndpoint}
 * hands over (Netty epoll on a unix socket in production). Handlers only decode and dispatch; Encrypt and Decrypt
 * run on the bounded {@link CallAdmission} pool.
 */
public final class GrpcTransport implements Transport {

    private static final Logger LOG = System.getLogger(GrpcTransport.class.getName());
    /** Requests of one connection read at once: bounds the request bytes a connection can make the plugin hold. */
    static final int READS_PER_CONNECTION = 1;

    private final GrpcTransportSettings settings;
    private final ServerEndpoint endpoint;
    private final EnvelopeEncryption envelopes;
    private final Telemetry telemetry;
    private final RuntimeInfo runtime = RuntimeInfo.ofThisBuild();
    private final SelfCheck selfCheck;

    private CallAdmission admission;
    private UnaryCalls calls;
    private RequestReadLimit requestReadLimit;
    private final ReadGates readGates = new ReadGates(READS_PER_CONNECTION);
    private Server server;
    private boolean stopped;

    public GrpcTransport(GrpcTransportSettings settings, EnvelopeEncryption envelopes, Telemetry telemetry) {
        this(settings, new UnixSocketEndpoint(settings), envelopes, telemetry);
    }

    public GrpcTransport(GrpcTransportSettings settings, ServerEndpoint endpoint, EnvelopeEncryption envelopes,
            Telemetry telemetry) {
        this.settings = settings;
        this.endpoint = endpoint;
        this.envelopes = envelopes;
        this.telemetry = telemetry;
        this.selfCheck = new SelfCheck(endpoint::client, endpoint.describe(), settings.statusVersion());
    }

    @Override
    public synchronized void start() throws IOException {
        if (server != null || stopped) {
            throw new IllegalStateException("a transport starts once");
        }
        try {
            ServerBuilder<?> builder = endpoint.open();
            admission = new CallAdmission(settings.maxConcurrentCalls());
            calls = new UnaryCalls(admission, settings.defaultDeadline());
            requestReadLimit = new RequestReadLimit(settings.peers().requestReadTimeout());
            server = configure(builder).build().start();
            endpoint.publish();
        } catch (IOException | RuntimeException e) {
            release(Duration.ZERO);
            Exception explained = e instanceof IOException io ? endpoint.explain(io) : e;
            if (explained instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) explained;
        }
        LOG.log(Level.INFO, "gRPC KMS v1beta1 and v2 (Status version {0}) listening on {1}; at most {2} concurrent"
                + " Encrypt/Decrypt calls, requests up to {3} bytes within {4} ms of a call''s start, at most {5}"
                + " connections of {6} calls each", settings.statusVersion(), endpoint.describe(),
                settings.maxConcurrentCalls(), String.valueOf(settings.maxMessageBytes()),
                String.valueOf(settings.peers().requestReadTimeout().toMillis()), settings.peers().maxConnections(),
                settings.peers().maxStreams());
    }

    /** Registers both services and the limits on the endpoint's builder. */
    private ServerBuilder<?> configure(ServerBuilder<?> builder) {
        MalformedRequests malformed = new MalformedRequests();
        return builder
                // Handlers only decode and hand off (or answer Status/Version from memory), so they run on the
                // event loop; backend work goes to the bounded pool in UnaryCalls.
                .directExecutor()
                .maxInboundMessageSize(settings.maxMessageBytes())
                .maxInboundMetadataSize(16 * 1024)
                .addStreamTracerFactory(new RequestTelemetry(telemetry))
                // the last interceptor added runs first: the request timer starts before anything else
                .intercept(readGates)
                .intercept(requestReadLimit)
                .addTransportFilter(readGates)
                .addService(malformed.guard(new GrpcKmsV1beta1Service(envelopes, calls, runtime).bindService()))
                .addService(malformed.guard(new GrpcKmsV2Service(envelopes, calls, settings.statusVersion())
                        .bindService()));
    }

    @Override
    public String endpoint() {
        return endpoint.describe();
    }

    @Override
    public void selfCheck(Duration timeout) {
        synchronized (this) {
            if (server == null || stopped) {
                throw new KmsException.BackendUnavailable("the gRPC transport is not serving");
            }
        }
        selfCheck.run(timeout);
    }

    @Override
    public synchronized void shutdown(Duration grace) {
        if (stopped) {
            return;
        }
        stopped = true;
        if (server == null) {
            release(grace);
            return;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        // Remove the socket first: new connections fail at once, while connected callers finish their calls.
        endpoint.withdraw();
        // Drain before the HTTP/2 GOAWAY: answers of in-flight calls reach the caller while the connection is
        // still fully open. (A unix socket closed with unread peer data makes the peer's next write fail with
        // ECONNRESET, and Netty-based clients then drop responses they had not read yet.)
        calls.drain(deadline);
        server.shutdown();
        try {
            if (!server.awaitTermination(Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS)) {
                if (admission.inFlight() > 0) {
                    LOG.log(Level.WARNING, "{0} call(s) still in flight after the {1} ms grace period; cancelling"
                            + " them", admission.inFlight(), grace.toMillis());
                }
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        release(Duration.ofSeconds(1));
        LOG.log(Level.INFO, "gRPC transport on {0} stopped", endpoint());
    }

    private void release(Duration grace) {
        selfCheck.close();
        if (server != null) {
            server.shutdownNow();
        }
        if (admission != null) {
            admission.shutdown(grace);
        }
        if (requestReadLimit != null) {
            requestReadLimit.close();
        }
        endpoint.release();
    }
}
