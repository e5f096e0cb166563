package dev.kmsplugin.adapter.grpc.client;

import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC channel to a unix socket, dialled as kube-apiserver dials one: plaintext, authority {@code localhost}, one
 * epoll event-loop thread of its own. The one place such a channel is built, for the client command, the transport's
 * self-check, the tests and the benchmarks.
 */
public final class UnixSocketChannel implements AutoCloseable {

    /** kube-apiserver dials unix sockets with this authority. */
    public static final String AUTHORITY = "localhost";

    private final EventLoopGroup group;
    private final ManagedChannel channel;

    private UnixSocketChannel(EventLoopGroup group, ManagedChannel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * @param socketName a path, or {@code @name} for an abstract socket (as {@code ListenAddress.socketName()})
     * @param threadName the name of the channel's event-loop thread
     */
    public static UnixSocketChannel open(String socketName, String threadName) {
        requireEpoll();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName, true),
                EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socketName))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .overrideAuthority(AUTHORITY)
                // TCP keep-alive means nothing on a unix socket; unset it so Netty does not warn on every connect.
                .withOption(ChannelOption.SO_KEEPALIVE, null)
                .build();
        return new UnixSocketChannel(group, channel);
    }

    public ManagedChannel channel() {
        return channel;
    }

    /** Unix sockets need Netty's epoll transport; say so plainly when the platform lacks it. */
    public static void requireEpoll() {
        if (!Epoll.isAvailable()) {
            Throwable cause = Epoll.unavailabilityCause();
            throw new KmsException.Misconfigured("unix domain sockets need Netty's native epoll transport, which is"
                    + " unavailable here (" + (cause == null ? "unknown reason" : cause.getMessage()) + "); the plugin"
                    + " runs on Linux x86_64 and aarch64 with a writable, executable java.io.tmpdir", cause);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
