/**
 * The ports of the plugin: what transports may ask of the core (inbound), what the core needs from a
 * key-encryption-key backend and from telemetry (outbound), the provider SPIs that the composition root finds
 * with {@link java.util.ServiceLoader}, and the use-case class that implements the inbound port.
 */
module dev.kmsplugin.ports {
    // depends on: the domain, whose types appear in every port signature
    requires transitive dev.kmsplugin.domain;

    exports dev.kmsplugin.ports.inbound;
    exports dev.kmsplugin.ports.outbound;
    exports dev.kmsplugin.ports.spi;
    exports dev.kmsplugin.ports.envelope;
    exports dev.kmsplugin.ports.retirement;
}
