package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.adapter.grpc.socket.ListenAddress;
import dev.kmsplugin.adapter.grpc.socket.SocketFile;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.SettingsCheck;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
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

    /** The transport's flags, each with the configuration path it sets (the client command's among them). */
    public static List<Flag> flags() {
        return List.of(
                Flag.string("listen-addr", "kms.grpc.listen-addr",
                        "unix socket to serve on, unix:///path or unix:///@abstract"),
                Flag.string("kms-v2-version", "kms.grpc.v2-status-version",
                        "version v2 Status reports: v2 for kube-apiserver 1.29+, v2beta1 for 1.27-1.28"),
                Flag.string("socket-mode", "kms.grpc.socket-mode", "octal permissions of the socket file"),
                Flag.integer("max-concurrent-calls", "kms.grpc.max-concurrent-calls",
                        "Encrypt/Decrypt calls worked on at once; more get RESOURCE_EXHAUSTED"),
                Flag.integer("max-message-size", "kms.grpc.max-message-bytes",
                        "largest gRPC request accepted, in bytes"),
                Flag.integer("max-connections", "kms.grpc.max-connections",
                        "connections kept open at once; more are closed when accepted"),
                Flag.duration("max-connection-idle", "kms.grpc.max-connection-idle",
                        "close a connection that has had no call for this long"),
                Flag.integer("max-streams-per-connection", "kms.grpc.max-streams-per-connection",
                        "calls open at once on one connection; the client waits for more"),
                Flag.duration("request-read-timeout", "kms.grpc.request-read-timeout",
                        "end a call whose request is not complete this long after it started"),
                Flag.bool("allow-abstract-socket", "kms.grpc.allow-abstract-socket",
                        "allow a unix:///@name listen address, which any local process can reach"),
                Flag.string("allowed-peer-uids", "kms.grpc.allowed-peer-uids",
                        "comma-separated uids that may connect, checked with SO_PEERCRED (when unset: any)"),
                Flag.string("client-api", "kms.grpc.client.api", "client command: KMS API to call, v2 or v1"),
                Flag.duration("client-timeout", "kms.grpc.client.timeout",
                        "client command: deadline of each call"),
                Flag.string("client-key-id", "kms.grpc.client.key-id",
                        "client decrypt (v2) of bare base64: key_id the ciphertext was written under"
                                + " (when unset: the JSON's key_id, else Status's key_id)"),
                Flag.string("client-output", "kms.grpc.client.output",
                        "client encrypt: json (ciphertext, key_id, annotations) or base64 (the bare ciphertext)"));
    }

    /** The settings, every problem named by the transport's own flag. */
    public static GrpcTransportSettings from(Settings settings) {
        return from(settings, flags());
    }

    /** The settings; every problem is reported together, named by its flag in {@code flags}. */
    public static GrpcTransportSettings from(Settings settings, List<Flag> flags) {
        SettingsCheck check = new SettingsCheck(settings, "kms.grpc", flags);
        ListenAddress address = check.attempt(() -> ListenAddress.parse(settings.string("listen-addr")));
        String version = check.attempt(() -> settings.string("v2-status-version"));
        if (version != null && !STATUS_VERSIONS.contains(version)) {
            check.problem(check.path("v2-status-version") + " is '" + version + "'; use v2 (kube-apiserver 1.29+) or"
                    + " v2beta1 (1.27 and 1.28) (set it with " + check.flag("v2-status-version") + ")");
        }
        Set<PosixFilePermission> mode = check.attempt(() -> SocketFile.parseMode(settings.string("socket-mode")));
        Integer concurrent = check.attempt(() -> settings.integer("max-concurrent-calls"));
        if (concurrent != null && (concurrent < 1 || concurrent > MAX_CONCURRENT_CEILING)) {
            check.problem(check.path("max-concurrent-calls") + " is " + concurrent + "; choose 1 to "
                    + MAX_CONCURRENT_CEILING);
        }
        Integer messageBytes = check.attempt(() -> settings.integer("max-message-bytes"));
        if (messageBytes != null && (messageBytes < APISERVER_MAX_REQUEST_BYTES || messageBytes > MAX_MESSAGE_CEILING)) {
            check.problem(check.path("max-message-bytes") + " is " + messageBytes + "; choose "
                    + APISERVER_MAX_REQUEST_BYTES + " (the largest request kube-apiserver sends) to "
                    + MAX_MESSAGE_CEILING);
        }
        Duration deadline = check.attempt(() -> settings.duration("default-deadline"));
        if (deadline != null && (deadline.isNegative() || deadline.isZero())) {
            check.problem(check.path("default-deadline") + " must be positive");
        }
        Integer loops = check.attempt(() -> settings.integer("event-loop-threads"));
        if (loops != null && (loops < 1 || loops > 64)) {
            check.problem(check.path("event-loop-threads") + " is " + loops + "; choose 1 to 64");
        }
        PeerPolicy peers = PeerPolicy.from(check);
        if (address != null && address.isAbstract() && peers != null && !peers.allowAbstractSocket()) {
            check.problem(check.path("listen-addr") + " " + address + " is an abstract socket, which every process"
                    + " in the network namespace can reach (no file, no permissions); use a socket path, or opt in"
                    + " with " + check.flag("allow-abstract-socket") + " (ideally with "
                    + check.flag("allowed-peer-uids") + ")");
        }
        if (check.failed()) {
            throw new KmsException.Misconfigured("gRPC transport settings are invalid: " + check.problems());
        }
        return new GrpcTransportSettings(address, version, mode, concurrent, messageBytes, deadline, loops, peers);
    }
}
