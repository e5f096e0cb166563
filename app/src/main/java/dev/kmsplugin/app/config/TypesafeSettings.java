package dev.kmsplugin.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** {@link Settings} over a typesafe-config subtree; errors name the full path and the flag that sets it. */
final class TypesafeSettings implements Settings {

    private final Config config;
    private final String namespace;
    private final Map<String, Flag> flagsByPath;

    TypesafeSettings(Config config, String namespace, Map<String, Flag> flagsByPath) {
        this.config = config;
        this.namespace = namespace;
        this.flagsByPath = flagsByPath;
    }

    @Override
    public boolean has(String path) {
        return config.hasPath(path);
    }

    @Override
    public String string(String path) {
        return read(path, () -> config.getString(path));
    }

    @Override
    public Optional<String> optionalString(String path) {
        if (!config.hasPath(path)) {
            return Optional.empty();
        }
        return Optional.of(string(path)).filter(value -> !value.isEmpty());
    }

    @Override
    public int integer(String path) {
        return read(path, () -> config.getInt(path));
    }

    @Override
    public boolean bool(String path) {
        return read(path, () -> config.getBoolean(path));
    }

    @Override
    public Duration duration(String path) {
        return read(path, () -> config.getDuration(path));
    }

    @Override
    public List<String> strings(String path) {
        return read(path, () -> config.getStringList(path));
    }

    @Override
    public Settings at(String path) {
        Config scoped = config.hasPath(path) ? config.getConfig(path) : ConfigFactory.empty();
        return new TypesafeSettings(scoped, namespace + "." + path, flagsByPath);
    }

    private <T> T read(String path, Supplier<T> reader) {
        try {
            return reader.get();
        } catch (ConfigException.Missing e) {
            throw new KmsException.Misconfigured(full(path) + " is not set" + hint(path));
        } catch (ConfigException e) {
            throw new KmsException.Misconfigured(full(path) + " is invalid: " + e.getMessage() + hint(path), e);
        }
    }

    private String full(String path) {
        return namespace + "." + path;
    }

    private String hint(String path) {
        Flag flag = flagsByPath.get(full(path));
        return flag == null ? "" : " (set it with --" + flag.name() + ")";
    }
}
