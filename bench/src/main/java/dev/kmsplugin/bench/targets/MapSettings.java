package dev.kmsplugin.bench.targets;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Provider settings from a flat map of paths relative to one namespace, standing in for the app's configuration.
 * Durations are written as in reference.conf ({@code 30s}, {@code 2m}, {@code 1h}).
 */
final class MapSettings implements Settings {

    private final String namespace;
    private final Map<String, String> values;

    MapSettings(String namespace, Map<String, String> values) {
        this.namespace = namespace;
        this.values = Map.copyOf(values);
    }

    @Override
    public boolean has(String path) {
        return values.containsKey(path);
    }

    @Override
    public String string(String path) {
        String value = values.get(path);
        if (value == null) {
            throw new KmsException.Misconfigured(namespace + "." + path + " is not set");
        }
        return value;
    }

    @Override
    public Optional<String> optionalString(String path) {
        return Optional.ofNullable(values.get(path)).filter(value -> !value.isEmpty());
    }

    @Override
    public int integer(String path) {
        return Integer.parseInt(string(path));
    }

    @Override
    public boolean bool(String path) {
        return Boolean.parseBoolean(string(path));
    }

    @Override
    public Duration duration(String path) {
        String value = string(path).strip();
        long amount = Long.parseLong(value.replaceAll("[a-z]+$", ""));
        return switch (value.replaceAll("^[0-9]+", "")) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> throw new KmsException.Misconfigured(namespace + "." + path + " = '" + value
                    + "' is not a duration such as 30s");
        };
    }

    @Override
    public List<String> strings(String path) {
        return Arrays.stream(string(path).split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .collect(Collectors.toList());
    }

    @Override
    public Settings at(String path) {
        String prefix = path + ".";
        return new MapSettings(namespace + "." + path, values.entrySet().stream()
                .filter(entry -> entry.getKey().startsWith(prefix))
                .collect(Collectors.toMap(entry -> entry.getKey().substring(prefix.length()), Map.Entry::getValue)));
    }
}
