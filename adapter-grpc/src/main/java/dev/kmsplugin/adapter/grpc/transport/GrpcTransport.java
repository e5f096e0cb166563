package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.adapter.grpc.client.KmsClient;
import dev.kmsplugin.adapter.grpc.kms.CallAdmission;
import dev.kmsplugin.adapter.grpc.kms.GrpcKmsV1beta1Service;
import dev.kmsplugin.adapter.grpc.kms.GrpcKmsV2Service;
import dev.kmsplugin.adapter.grpc.kms.RuntimeInfo;
import dev.kmsplugin.adapter.grpc.kms.UnaryCalls;
import dev.kmsplugin.adapter.grpc.socket.SocketFile;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Transport;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Both KMS services on one gRPC server, on one unix socket, over Netty's epoll transport. Netty event loops only
 * parse and dispatch; Encrypt and Decrypt run on the bounded {@link CallAdmission} pool.
 */
public final class GrpcTransport implements Transport {

    private static final Logger LOG = System.getLogger(GrpcTransport.class.getName());

    private final GrpcTransportSettings settings;
    private final EnvelopeEncryption envelopes;
    private final Telemetry telemetry;
    private final RuntimeInfo runtime;

    private CallAdmission admission;
    private UnaryCalls calls;
    private EventLoopGroup boss;
    private EventLoopGroup loops;
    private Server server;
    private SocketFile socketFile;
    private KmsClient selfCheckClient;
    private boolean stopped;

    public GrpcTransport(GrpcTransportSettings settings, EnvelopeEncryption envelopes, Telemetry telemetry) {
        this.settings = settings;
        this.envelopes = envelopes;
        this.telemetry = telemetry;
        this.runtime = RuntimeInfo.ofThisBuild();
    }

    @Override
    public synchronized void start() throws IOException {
        if (server != null || stopped) {
            throw new IllegalStateException("a transport starts once");
        }
        KmsClient.requireEpoll();
        String bindName;
        if (settings.listenAddress().isAbstract()) {
            bindName = settings.listenAddress().socketName();
        } else {
            socketFile = SocketFile.claim(settings.listenAddress().path(), settings.socketMode());
            bindName = socketFile.bindPath().toString();
        }
        admission = new CallAdmission(settings.maxConcurrentCalls());
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("kms-grpc-accept", true),
                EpollIoHandler.newFactory());
        loops = new MultiThreadIoEventLoopGroup(settings.eventLoopThreads(),
                new DefaultThreadFactory("kms-grpc-io", true), EpollIoHandler.newFactory());
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(bindName))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(loops)
                // TCP keep-alive means nothing on a unix socket; unset it so Netty does not warn per connection.
                .withChildOption(ChannelOption.SO_KEEPALIVE, null);
        try {
            server = configure(builder).build().start();
            if (socketFile != null) {
                socketFile.publish();
            }
        } catch (IOException | RuntimeException e) {
            release(Duration.ZERO);
            if (e instanceof IOException io && settings.listenAddress().isAbstract()) {
                throw new KmsException.Misconfigured("cannot listen on " + settings.listenAddress() + ": "
                        + io.getMessage() + " (is another plugin serving on it?)", io);
            }
            throw e;
        }
        LOG.log(Level.INFO, "gRPC KMS v1beta1 and v2 (Status version {0}) listening on {1}; at most {2} concurrent"
                + " Encrypt/Decrypt calls, requests up to {3} bytes", settings.statusVersion(),
                settings.listenAddress(), settings.maxConcurrentCalls(), String.valueOf(settings.maxMessageBytes()));
    }

    /** Registers both services and the limits on any server builder (Netty in production). */
    ServerBuilder<?> configure(ServerBuilder<?> builder) {
        calls = new UnaryCalls(admission, settings.defaultDeadline());
        return builder
                // Handlers only decode and hand off (or answer Status/Version from memory), so they run on the
                // event loop; backend work goes to the bounded pool in UnaryCalls.
                .directExecutor()
                .maxInboundMessageSize(settings.maxMessageBytes())
                .maxInboundMetadataSize(16 * 1024)
                .addStreamTracerFactory(new RequestTelemetry(telemetry))
                .addService(new GrpcKmsV1beta1Service(envelopes, calls, runtime))
                .addService(new GrpcKmsV2Service(envelopes, calls, settings.statusVersion()));
    }

    @Override
    public String endpoint() {
        return settings.listenAddress().toString();
    }

    @Override
    public void selfCheck(Duration timeout) {
        KmsClient client;
        synchronized (this) {
            if (server == null || stopped) {
                throw new KmsException.BackendUnavailable("the gRPC transport is not serving");
            }
            if (selfCheckClient == null) {
                selfCheckClient = KmsClient.connect(settings.listenAddress(), true);
            }
            client = selfCheckClient;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        StatusResponse status;
        VersionResponse version;
        try {
            status = client.status(remaining(deadline));
            version = client.version(remaining(deadline));
        } catch (StatusRuntimeException e) {
            throw new KmsException.BackendUnavailable("self-check over " + endpoint() + " failed: "
                    + e.getStatus().getCode() + " " + e.getStatus().getDescription());
        }
        if (!status.getVersion().equals(settings.statusVersion())) {
            throw new KmsException.BackendUnavailable("self-check: v2 Status reported version '"
                    + status.getVersion() + "', expected '" + settings.statusVersion() + "'");
        }
        if (!status.getHealthz().equals("ok")) {
            throw new KmsException.BackendUnavailable("self-check: v2 Status is not healthy: " + status.getHealthz());
        }
        if (status.getKeyId().isEmpty()) {
            throw new KmsException.BackendUnavailable("self-check: v2 Status reported no key_id");
        }
        if (!version.getVersion().equals(GrpcKmsV1beta1Service.API_VERSION)) {
            throw new KmsException.BackendUnavailable("self-check: v1beta1 Version reported '" + version.getVersion()
                    + "'");
        }
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(deadlineNanos - System.nanoTime(), 1));
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
        if (socketFile != null) {
            socketFile.remove();
        }
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
        if (selfCheckClient != null) {
            selfCheckClient.close();
            selfCheckClient = null;
        }
        if (server != null) {
            server.shutdownNow();
        }
        if (admission != null) {
            admission.shutdown(grace);
        }
        for (EventLoopGroup group : new EventLoopGroup[] {boss, loops}) {
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
            }
        }
        if (socketFile != null) {
            socketFile.remove();
        }
    }
}
