package dev.kmsplugin.app.serve;

import dev.kmsplugin.app.config.Configuration;
import dev.kmsplugin.app.plugins.Plugins;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.spi.Transport;
import dev.kmsplugin.ports.spi.TransportProvider;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** Serving: builds the backend, the envelope use cases and the transport, then runs until told to stop. */
public final class Server {

    private static final Logger LOG = System.getLogger(Server.class.getName());

    private final Configuration configuration;
    private final Plugins plugins;
    private final Telemetry telemetry;
    private final Clock clock;

    public Server(Configuration configuration, Plugins plugins, Telemetry telemetry, Clock clock) {
        this.configuration = configuration;
        this.plugins = plugins;
        this.telemetry = telemetry;
        this.clock = clock;
    }

    /** Serves until SIGTERM or SIGINT, then drains and returns the exit code. */
    public int run() throws IOException, InterruptedException {
        CountDownLatch stop = Signals.stopOnTermination();
        Duration grace = configuration.settings("kms").duration("shutdown-grace");

        BackendProvider backendProvider = plugins.backend(configuration.string("kms.backend"));
        TransportProvider transportProvider = plugins.transport(configuration.string("kms.transport"));

        try (KeyEncryptionKeys keys = backendProvider.create(context(backendProvider.name()))) {
            EnvelopeService service = new EnvelopeService(keys, telemetry);
            Transport transport = transportProvider.create(context(transportProvider.name()), service);
            try {
                transport.start();
                LOG.log(Level.INFO, "serving KMS on {0} with {1}", transport.endpoint(), keys.describe());
                stop.await();
                LOG.log(Level.INFO, "stopping: draining in-flight calls for at most {0} s", grace.toSeconds());
            } finally {
                transport.shutdown(grace);
            }
        }
        LOG.log(Level.INFO, "stopped");
        return 0;
    }

    private PluginContext context(String providerName) {
        return new PluginContext(configuration.settings(Plugins.namespace(providerName)), telemetry, clock);
    }
}
