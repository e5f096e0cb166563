package dev.kmsplugin.ports.spi;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.KeyInventory;
import java.util.List;

/**
 * Found by {@link java.util.ServiceLoader}: makes one kind of key-encryption-key backend. Instantiating a provider
 * must be cheap; all real work happens in {@link #create}. Its settings live under {@code kms.<name()>}.
 */
public interface BackendProvider {

    /** Stable name selected by {@code --backend}, e.g. {@code keyvault} or {@code hsm-sim}. */
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
     * The backend's key versions, their key_ids and states, for operator commands such as {@code storage audit}:
     * read from the backend when called, without starting what serving needs.
     */
    default KeyInventory keyInventory(PluginContext context) {
        throw new KmsException.Misconfigured("backend '" + name() + "' cannot list its key versions");
    }

    /**
     * Checks the backend's settings without opening, creating or contacting anything, so that a bad command line
     * fails before the plugin binds a port; throws {@link KmsException.Misconfigured} naming every problem.
     * {@link #create} checks them again.
     */
    default void validate(PluginContext context) {
    }

    /** Builds and starts the backend; fails with a clear {@link dev.kmsplugin.domain.failure.KmsException}. */
    Backend create(PluginContext context);
}
