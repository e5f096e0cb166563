package dev.kmsplugin.ports.spi;

import dev.kmsplugin.ports.outbound.StoredData;

/**
 * Found by {@link java.util.ServiceLoader} only when a command asks its {@link Collaborators} for
 * {@link StoredData}: a plugin that can read what kube-apiserver stored. Its settings live under
 * {@code kms.<name()>}.
 */
public interface StoredDataProvider {

    /** Stable name, the namespace of its settings, e.g. {@code storage}. */
    String name();

    /** Reads nothing yet: connections are made when {@link StoredData#dependenceOn} is called. */
    StoredData create(PluginContext context);
}
