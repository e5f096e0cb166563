package dev.kmsplugin.ports.spi;

import java.io.IOException;
import java.time.Duration;

/** A running endpoint for kube-apiserver. */
public interface Transport extends AutoCloseable {

    /** Starts listening; returns once the endpoint answers calls. */
    void start() throws IOException;

    /** Where it listens, e.g. {@code unix:///opt/azurekms.socket}. */
    String endpoint();

    /**
     * Calls the endpoint the way kube-apiserver does (both API versions) and fails with a
     * {@link dev.kmsplugin.domain.failure.KmsException} saying what did not answer correctly.
     */
    void selfCheck(Duration timeout);

    /** Stops accepting calls, lets in-flight calls finish for at most {@code grace}, then releases everything. */
    void shutdown(Duration grace);

    @Override
    default void close() {
        shutdown(Duration.ZERO);
    }
}
