package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.adapter.grpc.socket.ListenAddress;
import dev.kmsplugin.adapter.grpc.socket.SocketFile;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The transport's settings ({@code kms.grpc} in reference.conf), read once and checked together so that a bad
 * configuration fails at start-up with every problem listed.
 *
 * @param listenAddress      where to serve
 * @param statusVersion      what v2 Status reports: {@code v2} (apiserver 1.29+) or {@code v2beta1} (1.27, 1.28)
 * @param socketMode         permissions of the socket file
 * @param maxConcurrentCalls Encrypt and Decrypt calls worked on at once; more are refused with RESOURCE_EXHAUSTED
 * @param maxMessageBytes    largest request accepted
 * @param defaultDeadline    how long a call that carries no deadline may take
 * @param eventLoopThreads   Netty event loop threads (they only parse and dispatch; the work runs elsewhere)
 * @param peers              who may connect and how many connections are kept
 */
public record GrpcTransportSettings(ListenAddress listenAddress, String statusVersion,
        Set<PosixFilePermission> socketMode, int maxConcurrentCalls, int maxMessageBytes, Duration defaultDeadline,
        int eventLoopThreads, PeerPolicy peers) {

    public static final List<String> STATUS_VERSIONS = List.of("v2", "v2beta1");
    /** The largest request kube-apiserver sends: a v2 Decrypt with 1 KiB ciphertext and 32 KiB of annotations. */
    public static final int APISERVER_MAX_REQUEST_BYTES = 34 * 1024;
    static final int MAX_MESSAGE_CEILING = 4 * 1024 * 1024;
    static final int MAX_CONCURRENT_CEILING = 4096;

    public GrpcTransportSettings {
        socketMode = Set.copyOf(socketMode);
    }

    public static GrpcTransportSettings from(Settings settings) {
        List<String> problems = new ArrayList<>();
        ListenAddress address = attempt(problems, () -> ListenAddress.parse(settings.string("listen-addr")));
        String version = attempt(problems, () -> settings.string("v2-status-version"));
        if (version != null && !STATUS_VERSIONS.contains(version)) {
            problems.add("kms.grpc.v2-status-version is '" + version + "'; use v2 (kube-apiserver 1.29+) or v2beta1"
                    + " (1.27 and 1.28) (set it with --kms-v2-version)");
        }
        Set<PosixFilePermission> mode = attempt(problems, () -> SocketFile.parseMode(settings.string("socket-mode")));
        Integer concurrent = attempt(problems, () -> settings.integer("max-concurrent-calls"));
        if (concurrent != null && (concurrent < 1 || concurrent > MAX_CONCURRENT_CEILING)) {
            problems.add("kms.grpc.max-concurrent-calls is " + concurrent + "; choose 1 to " + MAX_CONCURRENT_CEILING);
        }
        Integer messageBytes = attempt(problems, () -> settings.integer("max-message-bytes"));
        if (messageBytes != null && (messageBytes < APISERVER_MAX_REQUEST_BYTES || messageBytes > MAX_MESSAGE_CEILING)) {
            problems.add("kms.grpc.max-message-bytes is " + messageBytes + "; choose " + APISERVER_MAX_REQUEST_BYTES
                    + " (the largest request kube-apiserver sends) to " + MAX_MESSAGE_CEILING);
        }
        Duration deadline = attempt(problems, () -> settings.duration("default-deadline"));
        if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
            problems.add("kms.grpc.default-deadline must be positive");
        }
        Integer loops = attempt(problems, () -> settings.integer("event-loop-threads"));
        if (loops != null && (loops < 1 || loops > 64)) {
            problems.add("kms.grpc.event-loop-threads is " + loops + "; choose 1 to 64");
        }
        PeerPolicy peers = attempt(problems, () -> PeerPolicy.from(settings));
        if (address != null && address.isAbstract() && peers != null && !peers.allowAbstractSocket()) {
            problems.add("kms.grpc.listen-addr " + address + " is an abstract socket, which every process in the"
                    + " network namespace can reach (no file, no permissions); use a socket path, or opt in with"
                    + " --allow-abstract-socket (ideally with --allowed-peer-uids)");
        }
        if (!problems.isEmpty()) {
            throw new KmsException.Misconfigured("gRPC transport settings are invalid: " + String.join("; ", problems));
        }
        return new GrpcTransportSettings(address, version, mode, concurrent, messageBytes, deadline, loops, peers);
    }

    interface Read<T> {
        T get();
    }

    static <T> T attempt(List<String> problems, Read<T> read) {
        try {
            return read.get();
        } catch (KmsException e) {
            problems.add(e.getMessage());
            return null;
        }
    }
}
