package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.adapter.grpc.client.UnixSocketChannel;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.KeyManagementServiceGrpc;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.Transport;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import dev.kmsplugin.ports.testkit.MapSettings;
import dev.kmsplugin.ports.testkit.RecordingTelemetry;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The plugin's gRPC transport on a real unix socket in a fresh temp directory, backed by the envelope use cases
 * over {@link InMemoryKeys}, and a grpc-java client channel dialled the way kube-apiserver dials.
 */
final class RunningPlugin implements AutoCloseable {

    final Path directory;
    final Path socket;
    final InMemoryKeys keys;
    final RecordingTelemetry telemetry;
    final Transport transport;
    private final UnixSocketChannel client;
    final ManagedChannel channel;

    private RunningPlugin(Path directory, Path socket, Transport transport, InMemoryKeys keys,
            RecordingTelemetry telemetry) {
        this.directory = directory;
        this.socket = socket;
        this.transport = transport;
        this.keys = keys;
        this.telemetry = telemetry;
        this.client = UnixSocketChannel.open(socket.toString(), "test-client-io");
        this.channel = client.channel();
    }

    static RunningPlugin start() {
        return start(settings -> { });
    }

    static RunningPlugin start(Consumer<MapSettings> adjust) {
        Path directory = newDirectory();
        return startAt(directory, directory.resolve("kms.sock"), adjust);
    }

    static RunningPlugin startAt(Path directory, Path socket, Consumer<MapSettings> adjust) {
        MapSettings settings = TransportSettings.at("unix://" + socket);
        adjust.accept(settings);
        InMemoryKeys keys = new InMemoryKeys();
        RecordingTelemetry telemetry = new RecordingTelemetry();
        Transport transport = new GrpcTransportProvider().create(
                new PluginContext(settings, telemetry, Clock.systemUTC()), new EnvelopeService(Backend.of(keys), telemetry));
        try {
            transport.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new RunningPlugin(directory, socket, transport, keys, telemetry);
    }

    /** A short path under /tmp: unix socket paths are limited to 107 bytes. */
    static Path newDirectory() {
        try {
            return Files.createTempDirectory(Path.of("/tmp"), "grpc-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.KeyManagementServiceBlockingStub v2() {
        return dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.newBlockingStub(channel)
                .withWaitForReady().withDeadlineAfter(3, TimeUnit.SECONDS);
    }

    dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.KeyManagementServiceFutureStub v2Async() {
        return dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc.newFutureStub(channel)
                .withWaitForReady().withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    KeyManagementServiceGrpc.KeyManagementServiceBlockingStub v1() {
        return KeyManagementServiceGrpc.newBlockingStub(channel).withWaitForReady()
                .withDeadlineAfter(3, TimeUnit.SECONDS);
    }

    KeyId currentKeyId() {
        return keys.current().keyId();
    }

    @Override
    public void close() {
        client.close();
        transport.shutdown(Duration.ZERO);
        deleteTree(directory);
    }

    static void deleteTree(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException ignored) {
            // already gone
        }
    }
}
