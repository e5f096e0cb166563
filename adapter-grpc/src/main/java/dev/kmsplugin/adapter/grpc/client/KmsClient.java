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
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Calls a running plugin over its unix socket the way kube-apiserver does: insecure credentials, authority
 * {@code localhost}, a deadline on every call. Used by the transport's self-check and by {@code kms-plugin client}.
 */
public final class KmsClient implements AutoCloseable {

    /** kube-apiserver dials unix sockets with this authority. */
    public static final String AUTHORITY = UnixSocketChannel.AUTHORITY;

    private final UnixSocketChannel socket;
    private final ManagedChannel channel;
    private final boolean waitForReady;

    private KmsClient(UnixSocketChannel socket, ManagedChannel channel, boolean waitForReady) {
        this.socket = socket;
        this.channel = channel;
        this.waitForReady = waitForReady;
    }

    /**
     * @param waitForReady as the apiserver does: wait for the socket until the deadline instead of failing at once
     */
    public static KmsClient connect(ListenAddress address, boolean waitForReady) {
        UnixSocketChannel socket = UnixSocketChannel.open(address.socketName(), "kms-grpc-client");
        return new KmsClient(socket, socket.channel(), waitForReady);
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
        if (socket != null) {
            socket.close();
            return;
        }
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Unix sockets need Netty's epoll transport; say so plainly when the platform lacks it. */
    public static void requireEpoll() {
        UnixSocketChannel.requireEpoll();
    }
}
