package dev.kmsplugin.ports.spi;

import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import java.util.List;

/**
 * Found by {@link java.util.ServiceLoader}: makes the transport through which kube-apiserver reaches the plugin.
 * Its settings live under {@code kms.<name()>}.
 */
public interface TransportProvider {

    /** Stable name, e.g. {@code grpc}. */
    String name();

    String summary();

    default List<Flag> flags() {
        return List.of();
    }

    default List<Command> commands() {
        return List.of();
    }

    /**
     * Checks the transport's settings without opening or creating anything, so that a bad command line fails before
     * the plugin binds a port; throws {@link dev.kmsplugin.domain.failure.KmsException.Misconfigured}.
     */
    default void validate(PluginContext context) {
    }

    /** Builds the transport; it listens only once {@link Transport#start()} is called. */
    Transport create(PluginContext context, EnvelopeEncryption service);
}
