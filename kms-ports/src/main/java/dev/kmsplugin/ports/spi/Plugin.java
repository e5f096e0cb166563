package dev.kmsplugin.ports.spi;

import java.util.List;

/**
 * What every plugin the launcher finds with {@link java.util.ServiceLoader} says of itself: a name, one line for
 * {@code --help}, its flags and its operator commands. Instantiating a plugin must be cheap and load nothing of its
 * technology; its settings live under {@code kms.<name()>}.
 */
public interface Plugin {

    /** Stable name, the namespace of its settings, e.g. {@code keyvault}, {@code grpc} or {@code storage}. */
    String name();

    /** One line for {@code --help}. */
    String summary();

    default List<Flag> flags() {
        return List.of();
    }

    default List<Command> commands() {
        return List.of();
    }

    /**
     * Checks the plugin's settings without opening, creating or contacting anything, so that a bad command line fails
     * before the plugin binds a port; throws {@link dev.kmsplugin.domain.failure.KmsException.Misconfigured} naming
     * every problem.
     */
    default void validate(PluginContext context) {
    }
}
