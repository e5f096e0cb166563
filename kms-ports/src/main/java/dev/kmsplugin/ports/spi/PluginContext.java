package dev.kmsplugin.ports.spi;

import dev.kmsplugin.ports.outbound.Telemetry;
import java.time.Clock;
import java.util.Objects;

/** What the composition root hands a provider when it builds its adapter. */
public record PluginContext(Settings settings, Telemetry telemetry, Clock clock) {
    public PluginContext {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(telemetry, "telemetry");
        Objects.requireNonNull(clock, "clock");
    }
}
