/**
 * The composition root: reads configuration, finds transports and backends through {@link java.util.ServiceLoader},
 * wires them to the envelope use cases, runs operator commands, and shuts everything down cleanly.
 */
module dev.kmsplugin.app {
    // depends on
    requires dev.kmsplugin.ports;
    requires typesafe.config;
    requires java.logging;   // the backend of System.Logger, configured once here
    requires jdk.unsupported; // sun.misc.Signal: exit 0 after draining on SIGTERM
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    // Micrometer's JVM binders read these MXBeans; automatic modules cannot pull JDK modules into the graph.
    requires java.management;
    requires jdk.management;

    // loads
    uses dev.kmsplugin.ports.spi.BackendProvider;
    uses dev.kmsplugin.ports.spi.TransportProvider;
    uses dev.kmsplugin.ports.spi.CommandProvider;
    uses dev.kmsplugin.ports.spi.StoredDataProvider;
}
