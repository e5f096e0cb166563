package dev.kmsplugin.adapter.grpc;

import dev.kmsplugin.ports.testkit.MapSettings;

/** The transport's settings as the app would hand them over: reference.conf's defaults plus overrides. */
final class TransportSettings {

    private TransportSettings() {
    }

    /** The shipped defaults with the listen address set; tests adjust the result with {@link MapSettings#with}. */
    static MapSettings at(String listenAddress) {
        return MapSettings.reference("kms.grpc").with("listen-addr", listenAddress);
    }
}
