package dev.kmsplugin.app.ops.http;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds of the health and metrics HTTP servers (settings under {@code kms.ops-http}).
 *
 * @param maxRequestBytes        request line and headers together; more is answered 431 and closed
 * @param requestTimeout         from accept to the end of the headers; a slower request is answered 408 and closed
 * @param maxConnections         open connections in all
 * @param maxConnectionsPerUid   open connections per local user (per client address when the user is not known)
 * @param workers                threads that run routes; only complete requests reach them
 */
public record OpsHttpLimits(int maxRequestBytes, Duration requestTimeout, int maxConnections,
                            int maxConnectionsPerUid, int workers) {

    public OpsHttpLimits {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (maxRequestBytes < 256 || requestTimeout.isNegative() || requestTimeout.isZero() || maxConnections < 1
                || maxConnectionsPerUid < 1 || maxConnectionsPerUid > maxConnections || workers < 1) {
            throw new IllegalArgumentException("ops-http limits out of range: " + this);
        }
    }

    /** The reference.conf defaults. */
    public static OpsHttpLimits defaults() {
        return new OpsHttpLimits(8192, Duration.ofSeconds(5), 1024, 16, 4);
    }

    OpsHttpLimits withMaxConnectionsPerUid(int cap) {
        return new OpsHttpLimits(maxRequestBytes, requestTimeout, maxConnections, cap, workers);
    }
}
