package dev.kmsplugin.adapter.grpc.client;

import dev.kmsplugin.adapter.grpc.kms.GrpcKmsV1beta1Service;
import dev.kmsplugin.adapter.grpc.wire.v1beta1.VersionResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The transport's self-check, from the outside: v2 Status and v1beta1 Version over a real client, as kube-apiserver
 * would call them. The client is made on first use and kept until {@link #close}.
 */
public final class SelfCheck implements AutoCloseable {

    private final Supplier<KmsClient> connect;
    private final String endpoint;
    private final String statusVersion;
    private KmsClient client;

    public SelfCheck(Supplier<KmsClient> connect, String endpoint, String statusVersion) {
        this.connect = connect;
        this.endpoint = endpoint;
        this.statusVersion = statusVersion;
    }

    /** Fails with BackendUnavailable, naming what is wrong, unless both APIs answer as the apiserver expects. */
    public void run(Duration timeout) {
        KmsClient current;
        synchronized (this) {
            if (client == null) {
                client = connect.get();
            }
            current = client;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        StatusResponse status;
        VersionResponse version;
        try {
            status = current.status(remaining(deadline));
            version = current.version(remaining(deadline));
        } catch (StatusRuntimeException e) {
            throw new KmsException.BackendUnavailable("self-check over " + endpoint + " failed: "
                    + e.getStatus().getCode() + " " + e.getStatus().getDescription());
        }
        if (!status.getVersion().equals(statusVersion)) {
            throw new KmsException.BackendUnavailable("self-check: v2 Status reported version '"
                    + status.getVersion() + "', expected '" + statusVersion + "'");
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
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
