package dev.kmsplugin.bench.targets;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.client.UnixSocketChannel;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionRequest;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The transport floor: both KMS services on a unix socket, answering constants from the event loop. What a call
 * costs here is the cost of gRPC, protobuf and the socket alone; the plugin cannot be cheaper than this. Like the
 * plugin, one event-loop thread serves the connection.
 */
public final class NoopKmsServer implements AutoCloseable {

    // Shaped like real answers: a ciphertext of our format is about 80 bytes, a key_id 64 hex characters.
    private static final ByteString CIPHERTEXT = ByteString.copyFrom(new byte[80]);
    private static final ByteString DATA_KEY = ByteString.copyFrom(new byte[32]);
    private static final String KEY_ID = "0".repeat(64);

    private final Server server;
    private final EventLoopGroup boss;
    private final EventLoopGroup loops;
    private final Path socket;

    private NoopKmsServer(Server server, EventLoopGroup boss, EventLoopGroup loops, Path socket) {
        this.server = server;
        this.boss = boss;
        this.loops = loops;
        this.socket = socket;
    }

    public static NoopKmsServer start(Path socket) throws IOException {
        UnixSocketChannel.requireEpoll();
        Files.deleteIfExists(socket);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("noop-accept", true),
                EpollIoHandler.newFactory());
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("noop-io", true),
                EpollIoHandler.newFactory());
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(loops)
                .withChildOption(ChannelOption.SO_KEEPALIVE, null)
                .directExecutor()
                .addService(new V1())
                .addService(new V2())
                .build()
                .start();
        return new NoopKmsServer(server, boss, loops, socket);
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        stop(server, true, boss, loops);
        Files.deleteIfExists(socket);
    }

    /**
     * Stops a gRPC server of the harness's: new calls refused, then (unless {@code now}) up to 5 s for the calls in
     * flight, then its event loops.
     */
    public static void stop(Server server, boolean now, EventLoopGroup... loops) {
        if (now) {
            server.shutdownNow();
        } else {
            server.shutdown();
        }
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (EventLoopGroup group : loops) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static final class V2 extends dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc
            .KeyManagementServiceImplBase {
        private static final StatusResponse STATUS = StatusResponse.newBuilder().setVersion("v2").setHealthz("ok")
                .setKeyId(KEY_ID).build();
        private static final EncryptResponse ENCRYPTED = EncryptResponse.newBuilder().setCiphertext(CIPHERTEXT)
                .setKeyId(KEY_ID).build();
        private static final DecryptResponse DECRYPTED = DecryptResponse.newBuilder().setPlaintext(DATA_KEY).build();

        @Override
        public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
            response.onNext(STATUS);
            response.onCompleted();
        }

        @Override
        public void encrypt(EncryptRequest request, StreamObserver<EncryptResponse> response) {
            response.onNext(ENCRYPTED);
            response.onCompleted();
        }

        @Override
        public void decrypt(DecryptRequest request, StreamObserver<DecryptResponse> response) {
            response.onNext(DECRYPTED);
            response.onCompleted();
        }
    }

    private static final class V1 extends dev.kmsplugin.adapter.grpc.wire.v1beta1.KeyManagementServiceGrpc
            .KeyManagementServiceImplBase {
        private static final dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptResponse ENCRYPTED =
                dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptResponse.newBuilder().setCipher(CIPHERTEXT).build();
        private static final dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptResponse DECRYPTED =
                dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptResponse.newBuilder().setPlain(DATA_KEY).build();

        @Override
        public void version(VersionRequest request, StreamObserver<VersionResponse> response) {
            response.onNext(VersionResponse.newBuilder().setVersion("v1beta1").setRuntimeName("noop")
                    .setRuntimeVersion("0").build());
            response.onCompleted();
        }

        @Override
        public void encrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptRequest request,
                StreamObserver<dev.kmsplugin.adapter.grpc.wire.v1beta1.EncryptResponse> response) {
            response.onNext(ENCRYPTED);
            response.onCompleted();
        }

        @Override
        public void decrypt(dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptRequest request,
                StreamObserver<dev.kmsplugin.adapter.grpc.wire.v1beta1.DecryptResponse> response) {
            response.onNext(DECRYPTED);
            response.onCompleted();
        }
    }
}
