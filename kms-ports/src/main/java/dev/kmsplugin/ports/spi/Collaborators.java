package dev.kmsplugin.ports.spi;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.StoredData;

/**
 * What the composition root wires into an operator command besides its own settings: ports that other plugins
 * offer, made only when the command first asks for them. A command reaches another plugin only through these,
 * never by naming it.
 */
public interface Collaborators {

    /**
     * The key versions of the backend that {@code --backend} selects, read from the backend now; fails with a
     * {@link KmsException} when the backend cannot be reached or is misconfigured.
     */
    KeyInventory keyInventory();

    /**
     * What kube-apiserver stored, read through the installed storage plugin with its settings (the etcd flags);
     * fails with {@link KmsException.Misconfigured} when no storage plugin is installed.
     */
    default StoredData storedData() {
        throw new KmsException.Misconfigured("no storage plugin is installed (the adapter-etcd module): nothing can"
                + " prove that stored data no longer needs a key version");
    }

    /** Wires nothing: for commands that need no other plugin, and for tests. */
    static Collaborators none() {
        return () -> {
            throw new KmsException.Misconfigured("this command has no key-encryption-key backend wired");
        };
    }
}
