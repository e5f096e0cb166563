package dev.kmsplugin.app.ops.metrics;

import dev.kmsplugin.app.ops.http.HttpAnswer;
import dev.kmsplugin.app.ops.http.OpsHttpServer;
import dev.kmsplugin.app.ops.http.OpsHttpLimits;
import dev.kmsplugin.app.ops.http.PeerUids;
import dev.kmsplugin.app.ops.http.OpsAddress;
import java.util.Map;

/** {@code GET /metrics} in the Prometheus text format, on its own address ({@code --metrics-addr}). */
public final class MetricsEndpoint implements AutoCloseable {

    public static final String PATH = "/metrics";

    private final OpsHttpServer server;

    private MetricsEndpoint(OpsHttpServer server) {
        this.server = server;
    }

    /** Binds the metrics endpoint within {@code limits} ({@code kms.ops-http}). */
    public static MetricsEndpoint start(OpsAddress address, PrometheusTelemetry telemetry, OpsHttpLimits limits) {
        return new MetricsEndpoint(OpsHttpServer.start("metrics", address, "--metrics-addr", Map.of(PATH,
                () -> new HttpAnswer(200, PrometheusTelemetry.contentType(), telemetry.scrape())),
                limits, PeerUids.procNet()));
    }

    /** The bound port (the real one when port 0 was asked for). */
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
    }
}
