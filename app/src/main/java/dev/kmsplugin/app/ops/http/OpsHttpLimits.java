package dev.kmsplugin.app.ops.http;

import dev.kmsplugin.app.cli.AppFlags;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.SettingsCheck;
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

    /** The limits from {@code kms.ops-http} (their defaults are in reference.conf); every bad one named at once. */
    public static OpsHttpLimits from(Settings settings) {
        SettingsCheck check = new SettingsCheck(settings, "kms.ops-http", AppFlags.all());
        int bytes = settings.integer("max-request-bytes");
        if (bytes < 256) {
            check.problem("max-request-bytes", "is " + bytes + "; a request head needs at least 256");
        }
        Duration timeout = check.positive("request-timeout");
        int max = settings.integer("max-connections");
        if (max < 1) {
            check.problem("max-connections", "is " + max + "; allow at least 1");
        }
        int perUid = settings.integer("max-connections-per-uid");
        if (perUid < 1 || perUid > max) {
            check.problem("max-connections-per-uid", "is " + perUid + "; choose 1 to max-connections (" + max + ")");
        }
        int workers = settings.integer("workers");
        if (workers < 1) {
            check.problem("workers", "is " + workers + "; run at least 1");
        }
        if (check.failed()) {
            throw new KmsException.Misconfigured("health and metrics endpoints: " + check.problems());
        }
        return new OpsHttpLimits(bytes, timeout, max, perUid, workers);
    }

    OpsHttpLimits withMaxConnectionsPerUid(int cap) {
        return new OpsHttpLimits(maxRequestBytes, requestTimeout, maxConnections, cap, workers);
    }
}
