package dev.kmsplugin.app.cli;

import dev.kmsplugin.app.config.Configuration;
import dev.kmsplugin.ports.spi.Flag;
import java.util.List;

/** Flags the composition root owns. Names the Go plugin had keep their names and meaning. */
public final class AppFlags {

    private AppFlags() {
    }

    public static List<Flag> all() {
        return List.of(
                Flag.string("backend", "kms.backend", "key-encryption-key backend: keyvault or hsm-sim"),
                Flag.string("config", Configuration.FILE_PATH,
                        "settings file (HOCON or JSON) for this plugin; also KMS_PLUGIN_CONFIG"),
                Flag.duration("shutdown-grace", "kms.shutdown-grace",
                        "on SIGTERM, how long in-flight calls may take to finish"),
                Flag.integer("v", "kms.log.verbosity", "log verbosity: 0 warnings and errors, 2 info, 4 debug"),
                Flag.bool("log-format-json", "kms.log.json", "log one JSON object per line"),
                Flag.string("healthz-addr", "kms.health.address", "address of the health endpoints"),
                Flag.integer("healthz-port", "kms.health.port", "port of the health endpoints"),
                Flag.string("healthz-path", "kms.health.path", "path of the liveness endpoint"),
                Flag.duration("healthz-timeout", "kms.health.timeout",
                        "timeout of the health check's own gRPC calls"),
                Flag.string("metrics-backend", "kms.metrics.backend", "metrics exposition: prometheus or none"),
                Flag.string("metrics-addr", "kms.metrics.address",
                        "address of the metrics endpoint: PORT or HOST:PORT"),
                Flag.integer("ops-max-conns-per-uid", "kms.ops-http.max-connections-per-uid",
                        "open connections one local user may hold to the health or metrics endpoint"));
    }
}
