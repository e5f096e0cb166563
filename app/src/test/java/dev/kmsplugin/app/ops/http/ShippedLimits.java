package dev.kmsplugin.app.ops.http;

import dev.kmsplugin.app.cli.AppFlags;
import dev.kmsplugin.app.config.Configuration;
import java.util.Map;

/** The endpoints' limits as the shipped reference.conf sets them, read the way the server reads them. */
public final class ShippedLimits {

    private ShippedLimits() {
    }

    public static OpsHttpLimits get() {
        return OpsHttpLimits.from(Configuration.load(Map.of(), AppFlags.all(), Map.of()).settings("kms.ops-http"));
    }
}
