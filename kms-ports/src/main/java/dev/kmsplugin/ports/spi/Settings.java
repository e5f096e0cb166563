package dev.kmsplugin.ports.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A read-only view of the configuration under one provider's namespace ({@code kms.<provider name>}). Paths are
 * relative to that namespace. A missing or ill-typed required value fails with
 * {@link dev.kmsplugin.domain.failure.KmsException.Misconfigured} naming the full path and the flag that sets it.
 */
public interface Settings {

    boolean has(String path);

    String string(String path);

    /** Empty when the path is absent or holds an empty string. */
    Optional<String> optionalString(String path);

    int integer(String path);

    boolean bool(String path);

    Duration duration(String path);

    List<String> strings(String path);

    default Path path(String path) {
        return Path.of(string(path));
    }

    /** The sub-tree at {@code path}, itself relative. */
    Settings at(String path);
}
