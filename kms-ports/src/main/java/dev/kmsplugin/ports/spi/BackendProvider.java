package dev.kmsplugin.ports.spi;

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

    /** Builds and starts the backend; fails with a clear {@link dev.kmsplugin.domain.failure.KmsException}. */
    Backend create(PluginContext context);
}
