package dev.kmsplugin.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The plugin's configuration, read once at start. Precedence, highest first: command-line flags, environment
 * overrides ({@code CONFIG_FORCE_kms_...}, typesafe-config's convention), the optional settings file
 * ({@code --config} or {@code KMS_PLUGIN_CONFIG}), and every module's {@code reference.conf}.
 */
public final class Configuration {

    /** Environment variable naming a settings file when {@code --config} is absent. */
    public static final String FILE_ENV = "KMS_PLUGIN_CONFIG";
    /** Configuration path the {@code --config} flag sets. */
    public static final String FILE_PATH = "kms.config-file";

    private final Config config;
    private final Map<String, Flag> flagsByPath;

    private Configuration(Config config, Map<String, Flag> flagsByPath) {
        this.config = config;
        this.flagsByPath = flagsByPath;
    }

    /**
     * The default of each flag's path, as the merged {@code reference.conf} files of the plugins found give it and
     * {@code --help} shows it: the one place defaults are written. Paths without a default (or an empty one) are
     * left out.
     */
    public static Map<String, String> defaults(List<Flag> flags) {
        Config reference = ConfigFactory.defaultReference(Configuration.class.getClassLoader());
        Map<String, String> defaults = new java.util.LinkedHashMap<>();
        for (Flag flag : flags) {
            if (!reference.hasPath(flag.path())) {
                continue;
            }
            ConfigValue value = reference.getValue(flag.path());
            String text = value.valueType() == ConfigValueType.LIST
                    ? ((List<?>) value.unwrapped()).stream().map(String::valueOf).collect(Collectors.joining(","))
                    : String.valueOf(value.unwrapped());
            if (!text.isEmpty()) {
                defaults.putIfAbsent(flag.path(), text);
            }
        }
        return defaults;
    }

    /**
     * Loads and validates the configuration.
     *
     * @param flagValues values from the command line, keyed by configuration path
     * @param flags      every declared flag, to name the flag in error messages
     */
    public static Configuration load(Map<String, String> flagValues, List<Flag> flags, Map<String, String> env) {
        ClassLoader loader = Configuration.class.getClassLoader();
        try {
            Config reference = ConfigFactory.defaultReference(loader);
            Optional<Path> file = Optional.ofNullable(flagValues.get(FILE_PATH))
                    .or(() -> Optional.ofNullable(env.get(FILE_ENV)))
                    .filter(name -> !name.isBlank())
                    .map(Path::of);
            Config fromFile = ConfigFactory.empty();
            if (file.isPresent()) {
                if (!Files.isReadable(file.get())) {
                    throw new KmsException.Misconfigured("settings file " + file.get() + " does not exist or cannot be read");
                }
                fromFile = ConfigFactory.parseFile(file.get().toFile(),
                        ConfigParseOptions.defaults().setAllowMissing(false));
            }
            Config fromEnv = ConfigFactory.systemEnvironmentOverrides();
            Config fromFlags = ConfigFactory.parseMap(flagValues, "command-line flags");
            Config merged = fromFlags.withFallback(fromEnv).withFallback(fromFile).withFallback(reference).resolve();
            merged.checkValid(reference, "kms");
            checkTypes(merged, reference);
            Map<String, Flag> byPath = flags.stream()
                    .collect(Collectors.toMap(Flag::path, Function.identity(), (first, second) -> first));
            return new Configuration(merged, byPath);
        } catch (ConfigException e) {
            throw new KmsException.Misconfigured("configuration is invalid: " + e.getMessage(), e);
        }
    }

    // checkValid accepts any string where the reference has a number or boolean (strings convert lazily), so a
    // typo would only surface when the owning module reads it. Read every such value once, now.
    private static void checkTypes(Config merged, Config reference) {
        StringBuilder problems = new StringBuilder();
        for (Map.Entry<String, ConfigValue> entry : reference.entrySet()) {
            String path = entry.getKey();
            try {
                if (entry.getValue().valueType() == ConfigValueType.NUMBER) {
                    merged.getNumber(path);
                } else if (entry.getValue().valueType() == ConfigValueType.BOOLEAN) {
                    merged.getBoolean(path);
                }
            } catch (ConfigException e) {
                problems.append(problems.length() == 0 ? "" : "; ").append(e.getMessage());
            }
        }
        if (problems.length() > 0) {
            throw new KmsException.Misconfigured("configuration is invalid: " + problems);
        }
    }

    /** The settings under {@code namespace}, e.g. {@code kms.hsm-sim}. An absent namespace reads as empty. */
    public Settings settings(String namespace) {
        Config scoped = config.hasPath(namespace) ? config.getConfig(namespace) : ConfigFactory.empty();
        return new TypesafeSettings(scoped, namespace, flagsByPath);
    }

    public String string(String path) {
        return settings("kms").string(path.substring("kms.".length()));
    }
}
