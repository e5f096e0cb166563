package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The transport's settings as the app would hand them over: reference.conf's defaults plus overrides. */
final class MapSettings implements Settings {

    private final Map<String, Object> values = new HashMap<>(Map.ofEntries(
            Map.entry("v2-status-version", "v2"),
            Map.entry("socket-mode", "0600"),
            Map.entry("max-concurrent-calls", 64),
            Map.entry("max-message-bytes", 131072),
            Map.entry("default-deadline", Duration.ofSeconds(30)),
            Map.entry("event-loop-threads", 1),
            Map.entry("client.api", "v2"),
            Map.entry("client.timeout", Duration.ofSeconds(5)),
            Map.entry("client.key-id", ""),
            Map.entry("max-connections", 128),
            Map.entry("max-connection-idle", Duration.ofMinutes(5)),
            Map.entry("allow-abstract-socket", false),
            Map.entry("allowed-peer-uids", "")));

    MapSettings(String listenAddress) {
        values.put("listen-addr", listenAddress);
    }

    MapSettings with(String path, Object value) {
        values.put(path, value);
        return this;
    }

    private Object get(String path) {
        Object value = values.get(path);
        if (value == null) {
            throw new KmsException.Misconfigured("kms.grpc." + path + " is not set");
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
        return (Integer) get(path);
    }

    @Override
    public boolean bool(String path) {
        return (Boolean) get(path);
    }

    @Override
    public Duration duration(String path) {
        return (Duration) get(path);
    }

    @Override
    public List<String> strings(String path) {
        Object value = get(path);
        return value instanceof List<?> list ? list.stream().map(Object::toString).toList()
                : List.of(value.toString().split(","));
    }

    @Override
    public Settings at(String path) {
        throw new UnsupportedOperationException();
    }
}
