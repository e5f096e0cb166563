package dev.kmsplugin.bench.targets;

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
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC connection over a unix socket, as kube-apiserver holds one per KMS provider: every caller multiplexes
 * its calls onto it.
 */
public final class UnixChannel implements AutoCloseable {

    private final EventLoopGroup group;
    private final ManagedChannel channel;

    private UnixChannel(EventLoopGroup group, ManagedChannel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static UnixChannel connect(Path socket) {
        requireEpoll();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bench-client-io", true),
                EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .overrideAuthority("localhost")
                // TCP keep-alive means nothing on a unix socket; unset it so Netty does not warn.
                .withOption(ChannelOption.SO_KEEPALIVE, null)
                .build();
        return new UnixChannel(group, channel);
    }

    static void requireEpoll() {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("unix sockets need Netty's epoll transport, unavailable here: "
                    + Epoll.unavailabilityCause());
        }
    }

    public ManagedChannel channel() {
        return channel;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
}
