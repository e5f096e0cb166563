package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.ports.testkit.MapSettings;
import java.time.Duration;
import java.util.Map;

/** The transport's settings as the app would hand them over: reference.conf's defaults plus overrides. */
final class TransportSettings {

    private TransportSettings() {
    }

    /** Defaults with the listen address set; tests adjust the result with {@link MapSettings#with}. */
    static MapSettings at(String listenAddress) {
        return new MapSettings("kms.grpc", Map.ofEntries(
                Map.entry("v2-status-version", "v2"),
                Map.entry("socket-mode", "0600"),
                Map.entry("max-concurrent-calls", 64),
                Map.entry("max-message-bytes", 131072),
                Map.entry("default-deadline", Duration.ofSeconds(30)),
                Map.entry("event-loop-threads", 1),
                Map.entry("client.api", "v2"),
                Map.entry("client.timeout", Duration.ofSeconds(5)),
                Map.entry("client.key-id", ""),
                Map.entry("client.output", "json"),
                Map.entry("max-connections", 128),
                Map.entry("max-connection-idle", Duration.ofMinutes(5)),
                Map.entry("max-streams-per-connection", 16),
                Map.entry("request-read-timeout", Duration.ofSeconds(5)),
                Map.entry("allow-abstract-socket", false),
                Map.entry("allowed-peer-uids", ""),
                Map.entry("listen-addr", listenAddress)));
    }
}
