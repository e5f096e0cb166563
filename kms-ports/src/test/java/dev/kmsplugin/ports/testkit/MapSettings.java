package dev.kmsplugin.ports.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings from a map, as the app hands a provider its namespace: dotted paths to strings, numbers, booleans,
 * durations ({@link Duration}s or text such as {@code 30s}) and lists (or comma-separated text). A missing path
 * fails as the real settings do.
 */
public final class MapSettings implements Settings {

    private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h)");

    private final String namespace;
    private final Map<String, Object> values;

    public MapSettings(String namespace, Map<String, ?> values) {
        this.namespace = namespace;
        this.values = new HashMap<>(values);
    }

    /**
     * The defaults of {@code namespace} as every {@code reference.conf} on the test class path gives them, merged as
     * the app merges them: tests start from the shipped defaults instead of copies that drift from them.
     */
    public static MapSettings reference(String namespace) {
        Config merged = ConfigFactory.defaultReference(MapSettings.class.getClassLoader());
        Map<String, Object> values = new HashMap<>();
        merged.getConfig(namespace).entrySet().forEach(e -> values.put(e.getKey(), e.getValue().unwrapped()));
        return new MapSettings(namespace, values);
    }

    /** These settings' values by path (a copy). */
    public Map<String, Object> values() {
        return new HashMap<>(values);
    }

    /** Sets (or replaces) every path of {@code overrides}; returns these settings, for chaining. */
    public MapSettings withAll(Map<String, ?> overrides) {
        values.putAll(overrides);
        return this;
    }

    /** Sets (or replaces) {@code path} in these settings; returns them, for chaining. */
    public MapSettings with(String path, Object value) {
        values.put(path, value);
        return this;
    }

    /** A copy without {@code path}. */
    public MapSettings without(String path) {
        MapSettings copy = new MapSettings(namespace, values);
        copy.values.remove(path);
        return copy;
    }

    private Object get(String path) {
        Object value = values.get(path);
        if (value == null) {
            throw new KmsException.Misconfigured(namespace + "." + path + " is not set");
        }
        return value;
    }

    @Override
    public boolean has(String path) {
        return values.containsKey(path);
    }

    @Override
    public String string(String path) {
        return get(path).toString();
    }

    @Override
    public Optional<String> optionalString(String path) {
        return Optional.ofNullable(values.get(path)).map(Object::toString).filter(s -> !s.isEmpty());
    }

    @Override
    public int integer(String path) {
        Object value = get(path);
        return value instanceof Number number ? number.intValue() : Integer.parseInt(value.toString());
    }

    @Override
    public boolean bool(String path) {
        Object value = get(path);
        return value instanceof Boolean b ? b : Boolean.parseBoolean(value.toString());
    }

    @Override
    public Duration duration(String path) {
        Object value = get(path);
        if (value instanceof Duration d) {
            return d;
        }
        String text = value.toString().strip();
        if (text.startsWith("P") || text.startsWith("-P")) {
            return Duration.parse(text); // ISO-8601, as Duration.toString() writes it
        }
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new KmsException.Misconfigured(namespace + "." + path + " = '" + text
                    + "' is not a duration such as 30s");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }

    @Override
    public List<String> strings(String path) {
        Object value = values.get(path);
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> list) {
            return list.stream().map(Object::toString).toList();
        }
        return Arrays.stream(value.toString().split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Override
    public Settings at(String path) {
        Map<String, Object> sub = new HashMap<>();
        String prefix = path + ".";
        values.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                sub.put(key.substring(prefix.length()), value);
            }
        });
        return new MapSettings(namespace + "." + path, sub);
    }
}
