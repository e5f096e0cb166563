package dev.kmsplugin.ports.inbound;

import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.KeyId;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to KMS v2 Status. {@code healthz} is {@code "ok"} when the plugin can serve, otherwise a one-line
 * reason. {@code keyId} is empty only when no key version could be resolved yet.
 */
public record StatusReport(String healthz, Optional<KeyId> keyId, Health health) {

    public static final String OK = "ok";

    public StatusReport {
        Objects.requireNonNull(healthz, "healthz");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(health, "health");
    }

    public boolean healthy() {
        return OK.equals(healthz);
    }
}
