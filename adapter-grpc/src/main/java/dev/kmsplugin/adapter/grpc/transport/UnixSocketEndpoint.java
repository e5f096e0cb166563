package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.adapter.grpc.client.KmsClient;
import dev.kmsplugin.adapter.grpc.socket.SocketFile;
import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.ServerBuilder;
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
import java.util.concurrent.TimeUnit;

/**
 * Production's endpoint: Netty's epoll transport on a unix socket, published through {@link SocketFile} (or an
 * abstract socket, when the operator opted in), with the connection limits of {@link PeerPolicy}: a cap on open
 * connections and a peer-uid allow-list ({@link ConnectionGate}), calls per connection, idle connections closed,
 * keepalive pings policed, and a handshake timeout.
 */
public final class UnixSocketEndpoint implements ServerEndpoint {

    private static final Logger LOG = System.getLogger(UnixSocketEndpoint.class.getName());
    /** Clients may ping at most once a minute, and only while a call is open; more is a protocol violation. */
    static final long PERMIT_KEEPALIVE_SECONDS = 60;
    static final long HANDSHAKE_TIMEOUT_SECONDS = 10;
    /** HTTP/2 flow-control window per stream and per connection, in bytes. */
    static final int FLOW_CONTROL_WINDOW = 8 * 1024;

    private final GrpcTransportSettings settings;
    private final ConnectionGate gate;
    private SocketFile socketFile;
    private EventLoopGroup boss;
    private EventLoopGroup loops;

    public UnixSocketEndpoint(GrpcTransportSettings settings) {
        this.settings = settings;
        this.gate = new ConnectionGate(settings.peers());
    }

    @Override
    public ServerBuilder<?> open() {
        KmsClient.requireEpoll();
        String bindName;
        if (settings.listenAddress().isAbstract()) {
            LOG.log(Level.WARNING, "serving on the abstract socket {0} (--allow-abstract-socket): it has no file"
                    + " permissions, so every process in this network namespace can connect{1}",
                    settings.listenAddress(), settings.peers().allowedPeerUids().isEmpty()
                            ? "; consider --allowed-peer-uids" : " whose uid is in --allowed-peer-uids");
            bindName = settings.listenAddress().socketName();
        } else {
            socketFile = SocketFile.claim(settings.listenAddress().path(), settings.socketMode());
            bindName = socketFile.bindPath().toString();
        }
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("kms-grpc-accept", true),
                EpollIoHandler.newFactory());
        loops = new MultiThreadIoEventLoopGroup(settings.eventLoopThreads(),
                new DefaultThreadFactory("kms-grpc-io", true), EpollIoHandler.newFactory());
        PeerPolicy peers = settings.peers();
        return NettyServerBuilder.forAddress(new DomainSocketAddress(bindName))
                .channelFactory(() -> {
                    EpollServerDomainSocketChannel listener = new EpollServerDomainSocketChannel();
                    listener.pipeline().addLast(gate); // before the acceptor that ServerBootstrap adds
                    return listener;
                })
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(loops)
                // TCP keep-alive means nothing on a unix socket; unset it so Netty does not warn per connection.
                .withChildOption(ChannelOption.SO_KEEPALIVE, null)
                .maxConcurrentCallsPerConnection(peers.maxStreams())
                // Small windows: a peer can push at most this much per stream (and per connection) before the
                // plugin has read it; the apiserver's requests are a few KiB.
                .flowControlWindow(FLOW_CONTROL_WINDOW)
                .maxConnectionIdle(peers.maxConnectionIdle().toNanos(), TimeUnit.NANOSECONDS)
                .permitKeepAliveTime(PERMIT_KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(false)
                .handshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public Exception explain(IOException bindFailure) {
        if (settings.listenAddress().isAbstract()) {
            return new KmsException.Misconfigured("cannot listen on " + settings.listenAddress() + ": "
                    + bindFailure.getMessage() + " (is another plugin serving on it?)", bindFailure);
        }
        return bindFailure;
    }

    @Override
    public void publish() {
        if (socketFile != null) {
            socketFile.publish();
        }
    }

    @Override
    public void withdraw() {
        if (socketFile != null) {
            socketFile.remove();
        }
    }

    @Override
    public void release() {
        for (EventLoopGroup group : new EventLoopGroup[] {boss, loops}) {
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
            }
        }
        boss = null;
        loops = null;
        withdraw();
    }

    @Override
    public KmsClient client() {
        return KmsClient.connect(settings.listenAddress(), true);
    }

    @Override
    public String describe() {
        return settings.listenAddress().toString();
    }

    /** Connections the gate currently counts as open. */
    int openConnections() {
        return gate.open();
    }
}
