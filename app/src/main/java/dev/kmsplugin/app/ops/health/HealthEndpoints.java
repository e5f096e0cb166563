package dev.kmsplugin.app.ops.health;

import dev.kmsplugin.app.ops.http.HttpAnswer;
import dev.kmsplugin.app.ops.http.OpsHttpServer;
import dev.kmsplugin.app.ops.http.OpsHttpLimits;
import dev.kmsplugin.app.ops.http.PeerUids;
import dev.kmsplugin.app.ops.http.OpsAddress;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.inbound.StatusReport;
import dev.kmsplugin.ports.spi.Transport;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Liveness ({@code /healthz} or the configured path, and {@code /livez}) and readiness ({@code /readyz}) for the
 * kubelet.
 *
 * <ul>
 *   <li>Liveness: the backend's last probe result, from memory (a probe never costs a backend call), then the
 *       transport's {@link Transport#selfCheck self-check}, which calls the plugin through its own socket the way
 *       kube-apiserver does.</li>
 *   <li>Readiness: the transport serves and the backend's probe has succeeded at least once; it drops again while
 *       the plugin drains on SIGTERM, so an upgrade does not race the socket.</li>
 * </ul>
 * Every failure is 503 with a one-line reason.
 */
public final class HealthEndpoints implements AutoCloseable {

    private static final Logger LOG = System.getLogger(HealthEndpoints.class.getName());

    /** Where the serving process is in its life. */
    public enum Phase {
        STARTING, SERVING, DRAINING
    }

    private final OpsHttpServer server;
    private final Duration timeout;
    private volatile Phase phase = Phase.STARTING;
    private volatile Transport transport;
    private volatile EnvelopeEncryption service;
    private volatile String lastLiveness = "";

    private HealthEndpoints(OpsAddress address, String livenessPath, Duration timeout, OpsHttpLimits limits) {
        this.timeout = timeout;
        Map<String, OpsHttpServer.Route> routes = new LinkedHashMap<>();
        routes.put(livenessPath, this::liveness);
        routes.put("/livez", this::liveness);
        routes.put("/readyz", this::readiness);
        this.server = OpsHttpServer.start("health", address, "--healthz-addr/--healthz-port", routes, limits,
                PeerUids.procNet());
    }

    /**
     * Binds the endpoints; until {@link #serving} is called they answer 503 {@code starting}.
     *
     * @param livenessPath the configurable liveness path ({@code --healthz-path}), served besides {@code /livez}
     * @param timeout      how long the self-check's calls through the socket may take ({@code --healthz-timeout})
     * @param limits       the endpoints' connection and request limits ({@code kms.ops-http})
     */
    public static HealthEndpoints start(OpsAddress address, String livenessPath, Duration timeout,
                                        OpsHttpLimits limits) {
        if (!livenessPath.startsWith("/") || livenessPath.equals("/readyz")) {
            throw new KmsException.Misconfigured("--healthz-path is '" + livenessPath
                    + "'; it must start with / and must not be /readyz");
        }
        return new HealthEndpoints(address, livenessPath, timeout, limits);
    }

    /** The transport has started and answers on its socket. */
    public void serving(Transport transport, EnvelopeEncryption service) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.service = Objects.requireNonNull(service, "service");
        this.phase = Phase.SERVING;
    }

    /** SIGTERM arrived: readiness drops at once; liveness stays truthful while in-flight calls finish. */
    public void draining() {
        this.phase = Phase.DRAINING;
    }

    /** The bound port (the real one when port 0 was asked for). */
    public int port() {
        return server.port();
    }

    private HttpAnswer liveness() {
        if (phase == Phase.STARTING) {
            return noted(HttpAnswer.text(503, "starting: the transport is not serving yet"));
        }
        StatusReport status = service.status();
        if (!status.healthy()) {
            return noted(HttpAnswer.text(503, "backend: " + firstLine(status.healthz())));
        }
        try {
            transport.selfCheck(timeout);
        } catch (RuntimeException e) {
            return noted(HttpAnswer.text(503, "self-check through " + transport.endpoint() + " failed: "
                    + HttpAnswer.firstLine(e)));
        }
        return noted(HttpAnswer.text(200, "ok"));
    }

    private HttpAnswer readiness() {
        switch (phase) {
            case STARTING:
                return HttpAnswer.text(503, "starting: the transport is not serving yet");
            case DRAINING:
                return HttpAnswer.text(503, "draining: shutting down");
            default:
                break;
        }
        Health health = service.status().health();
        if (health.lastSuccessTime().isEmpty()) {
            return HttpAnswer.text(503, "waiting for the backend's first successful probe: "
                    + firstLine(health.detail()));
        }
        return HttpAnswer.text(200, "ok");
    }

    // A failing probe repeats every few seconds; log when the answer changes, not every time.
    private HttpAnswer noted(HttpAnswer answer) {
        String line = answer.status() + " " + answer.body().strip();
        if (!line.equals(lastLiveness)) {
            lastLiveness = line;
            LOG.log(answer.status() == 200 ? Level.INFO : Level.WARNING, "liveness now {0}", line);
        }
        return answer;
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }

    @Override
    public void close() {
        server.close();
    }
}
