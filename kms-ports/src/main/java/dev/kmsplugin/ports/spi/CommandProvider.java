package dev.kmsplugin.ports.spi;

import java.util.List;

/**
 * A plugin that neither serves nor holds keys but adds operator commands,
 * such as {@code kms-plugin storage audit}. It reaches backends only through the {@link Collaborators} of each
 * {@link Command.Invocation}.
 */
public interface CommandProvider extends Plugin {

    @Override
    List<Command> commands();
}
