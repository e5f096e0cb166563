package dev.kmsplugin.app.serve;

import dev.kmsplugin.app.config.Configuration;
import dev.kmsplugin.app.ops.health.HealthEndpoints;
import dev.kmsplugin.app.ops.http.OpsAddress;
import dev.kmsplugin.app.ops.metrics.MetricsEndpoint;
import dev.kmsplugin.app.ops.http.OpsHttpLimits;
import dev.kmsplugin.app.ops.metrics.PrometheusTelemetry;
import dev.kmsplugin.app.plugins.Plugins;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.Transport;
import dev.kmsplugin.ports.spi.TransportProvider;
import dev.kmsplugin.ports.spi.ExitCode;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Serving: checks every setting, binds the health and metrics endpoints, builds the backend, the envelope use cases
 * and the transport, then runs until told to stop. Settings are checked before anything opens, so a configuration
 * error is all a failed start prints; the endpoints are bound next, so a port clash fails start-up before a socket
 * file or a backend session exists.
 */
public final class Server {

    private static final Logger LOG = System.getLogger(Server.class.getName());

    private final Configuration configuration;
    private final Plugins plugins;
    private final Telemetry telemetry;
    private final Optional<PrometheusTelemetry> metrics;
    private final Clock clock;

    /** A server without a metrics endpoint; {@code telemetry} still receives every event. */
    public Server(Configuration configuration, Plugins plugins, Telemetry telemetry, Clock clock) {
        this(configuration, plugins, telemetry, Optional.empty(), clock);
    }

    /** A server that exposes {@code metrics} at {@code --metrics-addr} and reports to it. */
    public Server(Configuration configuration, Plugins plugins, PrometheusTelemetry metrics, Clock clock) {
        this(configuration, plugins, metrics, Optional.of(metrics), clock);
    }

    private Server(Configuration configuration, Plugins plugins, Telemetry telemetry,
            Optional<PrometheusTelemetry> metrics, Clock clock) {
        this.configuration = configuration;
        this.plugins = plugins;
        this.telemetry = telemetry;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Serves until SIGTERM or SIGINT, then drains and returns the exit code. */
    public ExitCode run() throws IOException, InterruptedException {
        CountDownLatch stop = Signals.stopOnTermination();
        try (Running running = start()) {
            stop.await();
            LOG.log(Level.INFO, "stopping: draining in-flight calls for at most {0} s", running.grace.toSeconds());
        }
        LOG.log(Level.INFO, "stopped");
        return ExitCode.OK;
    }

    /**
     * Starts everything and returns once the transport serves. On any failure, whatever was already started is
     * closed again before the exception leaves.
     */
    public Running start() throws IOException {
        Settings kms = configuration.settings("kms");
        Duration grace = kms.duration("shutdown-grace");
        Settings health = kms.at("health");
        OpsHttpLimits limits = OpsHttpLimits.from(kms.at("ops-http"));
        BackendProvider backendProvider = plugins.backend(configuration.string("kms.backend"));
        TransportProvider transportProvider = plugins.transport(configuration.string("kms.transport"));
        OpsAddress healthAddress = OpsAddress.of(health.string("address"), health.integer("port"),
                "--healthz-addr/--healthz-port");
        Optional<OpsAddress> metricsAddress = metrics.map(m ->
                OpsAddress.parse(kms.string("metrics.address"), "--metrics-addr"));
        // Every setting is checked before anything opens: a bad command line prints its error and nothing else.
        backendProvider.validate(context(backendProvider.name()));
        transportProvider.validate(context(transportProvider.name()));

        Running running = new Running(grace);
        try {
            running.health = HealthEndpoints.start(healthAddress, health.string("path"), health.duration("timeout"),
                    limits);
            if (metricsAddress.isPresent()) {
                running.metrics = MetricsEndpoint.start(metricsAddress.get(), metrics.get(), limits);
            }
            Backend backend = backendProvider.create(context(backendProvider.name()));
            running.keys = backend.keys();
            EnvelopeService service = new EnvelopeService(backend, telemetry);
            metrics.ifPresent(m -> m.watchHealth(() -> service.status().health()));
            service.status().keyId().ifPresent(telemetry::currentKeyChanged);
            running.transport = transportProvider.create(context(transportProvider.name()), service);
            running.transport.start();
            running.health.serving(running.transport, service);
            LOG.log(Level.INFO, "serving KMS on {0} with {1}", running.transport.endpoint(), running.keys.describe());
            return running;
        } catch (IOException | RuntimeException e) {
            running.close();
            throw e;
        }
    }

    private PluginContext context(String providerName) {
        return new PluginContext(configuration.settings(Plugins.namespace(providerName)), telemetry, clock);
    }

    /** A started server. Closing it drains the transport, then closes the backend and the endpoints. */
    public static final class Running implements AutoCloseable {

        private final Duration grace;
        private HealthEndpoints health;
        private MetricsEndpoint metrics;
        private KeyEncryptionKeys keys;
        private Transport transport;

        private Running(Duration grace) {
            this.grace = grace;
        }

        /** The bound health port (the real one when port 0 was configured). */
        public int healthPort() {
            return health.port();
        }

        /** The bound metrics port, or -1 without a metrics endpoint. */
        public int metricsPort() {
            return metrics == null ? -1 : metrics.port();
        }

        public String endpoint() {
            return transport.endpoint();
        }

        @Override
        public void close() {
            // Readiness drops first so nothing new is routed here, then calls drain, then the rest is released.
            if (health != null) {
                health.draining();
            }
            try {
                if (transport != null) {
                    transport.shutdown(grace);
                }
            } finally {
                try {
                    if (keys != null) {
                        keys.close();
                    }
                } finally {
                    if (metrics != null) {
                        metrics.close();
                    }
                    if (health != null) {
                        health.close();
                    }
                }
            }
        }
    }
}
