package dev.kmsplugin.ports.spi;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.KeyInventory;

/**
 * A plugin that makes one kind of key-encryption-key backend, selected by {@code --backend} (e.g. {@code keyvault}
 * or {@code hsm-sim}); all real work happens in {@link #create}, which checks the settings again.
 */
public interface BackendProvider extends Plugin {

    /**
     * The backend's key versions, their key_ids and states, for operator commands such as {@code storage audit}:
     * read from the backend when called, without starting what serving needs.
     */
    default KeyInventory keyInventory(PluginContext context) {
        throw new KmsException.Misconfigured("backend '" + name() + "' cannot list its key versions");
    }

    /** Builds and starts the backend; fails with a clear {@link dev.kmsplugin.domain.failure.KmsException}. */
    Backend create(PluginContext context);
}
