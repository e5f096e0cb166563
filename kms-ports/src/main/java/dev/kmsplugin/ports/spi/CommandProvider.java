package dev.kmsplugin.ports.spi;

import java.util.List;

/**
 * Found by {@link java.util.ServiceLoader}: a plugin that neither serves nor holds keys but adds operator commands,
 * such as {@code kms-plugin storage audit}. It reaches backends only through the {@link Collaborators} of each
 * {@link Command.Invocation}. Instantiating it must be cheap and load nothing of its technology; its settings live
 * under {@code kms.<name()>}.
 */
public interface CommandProvider {

    /** Stable name, the namespace of its settings, e.g. {@code storage}. */
    String name();

    /** One line for {@code --help}. */
    String summary();

    default List<Flag> flags() {
        return List.of();
    }

    List<Command> commands();
}
