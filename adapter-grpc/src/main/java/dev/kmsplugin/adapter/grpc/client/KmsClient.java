package dev.kmsplugin.adapter.grpc.client;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.socket.ListenAddress;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionRequest;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.ConnectivityState;
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
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Calls a running plugin over its unix socket the way kube-apiserver does: insecure credentials, authority
 * {@code localhost}, a deadline on every call. Used by the transport's self-check and by {@code kms-plugin client}.
 */
public final class KmsClient implements AutoCloseable {

    /** kube-apiserver dials unix sockets with this authority. */
    public static final String AUTHORITY = "localhost";

    private final EventLoopGroup group;
    private final ManagedChannel channel;
    private final boolean waitForReady;

    private KmsClient(EventLoopGroup group, ManagedChannel channel, boolean waitForReady) {
        this.group = group;
        this.channel = channel;
        this.waitForReady = waitForReady;
    }

    /**
     * @param waitForReady as the apiserver does: wait for the socket until the deadline instead of failing at once
     */
    public static KmsClient connect(ListenAddress address, boolean waitForReady) {
        requireEpoll();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("kms-grpc-client", true),
                EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(address.socketName()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .overrideAuthority(AUTHORITY)
                // TCP keep-alive means nothing on a unix socket; unset it so Netty does not warn on every connect.
                .withOption(ChannelOption.SO_KEEPALIVE, null)
                .build();
        return new KmsClient(group, channel, waitForReady);
    }

    /** A client over a channel someone else made (an in-process one in tests); closing it shuts the channel. */
    public static KmsClient over(ManagedChannel channel, boolean waitForReady) {
        return new KmsClient(null, channel, waitForReady);
    }

    public StatusResponse status(Duration timeout) {
        return v2(timeout).status(StatusRequest.getDefaultInstance());
    }

    public EncryptResponse encrypt(byte[] plaintext, String uid, Duration timeout) {
        return v2(timeout).encrypt(EncryptRequest.newBuilder().setPlaintext(ByteString.copyFrom(plaintext))
                .setUid(uid).build());
    }

    public byte[] decrypt(byte[] ciphertext, String keyId, String uid, Duration timeout) {
        return decrypt(ciphertext, keyId, java.util.Map.of(), uid, timeout);
    }

    /** v2 Decrypt with the annotations Encrypt returned, as the apiserver sends them back. */
    public byte[] decrypt(byte[] ciphertext, String keyId, java.util.Map<String, byte[]> annotations, String uid,
            Duration timeout) {
        DecryptRequest.Builder request = DecryptRequest.newBuilder().setCiphertext(ByteString.copyFrom(ciphertext))
                .setKeyId(keyId).setUid(uid);
        annotations.forEach((name, value) -> request.putAnnotations(name, ByteString.copyFrom(value)));
        return v2(timeout).decrypt(request.build()).getPlaintext().toByteArray();
    }

    public VersionResponse version(Duration timeout) {
        return v1(timeout).version(VersionRequest.newBuilder().setVersion("v1beta1").build());
    }

    public byte[] encryptV1(byte[] plaintext, Duration timeout) {
        return v1(timeout).encrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest.newBuilder()
                .setVersion("v1beta1").setPlain(ByteString.copyFrom(plaintext)).build()).getCipher().toByteArray();
    }

    public byte[] decryptV1(byte[] ciphertext, Duration timeout) {
        return v1(timeout).decrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptRequest.newBuilder()
                .setVersion("v1beta1").setCipher(ByteString.copyFrom(ciphertext)).build()).getPlain().toByteArray();
    }

    /** True when the last failure was a failure to connect, not an answer from the plugin. */
    public boolean cannotConnect() {
        return channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE;
    }

    private dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.KeyManagementServiceBlockingStub v2(
            Duration timeout) {
        var stub = dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return waitForReady ? stub.withWaitForReady() : stub;
    }

    private dev.kmsplugin.adapter.grpc.wire.v1beta1.KeyManagementServiceGrpc.KeyManagementServiceBlockingStub v1(
            Duration timeout) {
        var stub = dev.kmsplugin.adapter.grpc.wire.v1beta1.KeyManagementServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return waitForReady ? stub.withWaitForReady() : stub;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
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
}
