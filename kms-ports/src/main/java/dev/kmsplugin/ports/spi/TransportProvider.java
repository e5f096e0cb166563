package dev.kmsplugin.ports.spi;

import dev.kmsplugin.ports.inbound.EnvelopeEncryption;

/** A plugin that makes the transport through which kube-apiserver reaches the plugin, e.g. {@code grpc}. */
public interface TransportProvider extends Plugin {

    /** Builds the transport; it listens only once {@link Transport#start()} is called. */
    Transport create(PluginContext context, EnvelopeEncryption service);
}
