package dev.kmsplugin.bench.targets;

import dev.kmsplugin.bench.load.TimedCall;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.PluginContext;
import dev.kmsplugin.ports.testkit.MapSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * The backend floor: the SoftHSM simulator's own wrap and unwrap, called in this process without gRPC. The backend
 * is obtained the way the app obtains it, through the {@link BackendProvider} SPI by name, so the harness measures
 * the very code the plugin runs. SoftHSM reads {@code SOFTHSM2_CONF} when its library loads; {@code bench/run}
 * exports it for this process.
 */
public final class BackendFloor implements AutoCloseable {

    public static final String PROVIDER = "hsm-sim";

    private final KeyEncryptionKeys keys;

    private BackendFloor(KeyEncryptionKeys keys) {
        this.keys = keys;
    }

    /** Opens (creating when absent) a simulator token in {@code simDir}. */
    public static BackendFloor open(Path simDir, Telemetry telemetry) {
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null || conf.isBlank()) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set: start the harness with bench/run, which sets"
                    + " it to " + simDir.resolve("softhsm2.conf"));
        }
        Map<String, String> settings = Map.of(
                "dir", simDir.toString(),
                "token-label", "kms-bench",
                "key-name", "kek",
                "pin-file", "",
                "library", "",
                // the token is initialised with the PINs typed at softhsm2-util's prompts, never on its command line
                // The floor should pay as little as it can for background work the measurement does not ask for (the
                // simulator caps the refresh interval at 60 s).
                "refresh-interval", "60s",
                "probe-interval", "1h",
                "health-grace", "2h");
        BackendProvider provider = provider(PROVIDER);
        MapSettings shipped = MapSettings.reference("kms." + PROVIDER).withAll(settings);
        return new BackendFloor(provider.create(new PluginContext(shipped, telemetry, Clock.systemUTC())).keys());
    }

    static BackendProvider provider(String name) {
        List<BackendProvider> found = ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get).collect(Collectors.toList());
        return found.stream().filter(provider -> provider.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no backend provider named '" + name + "' on the class"
                        + " path; found " + found.stream().map(BackendProvider::name).collect(Collectors.toList())));
    }

    public KeyEncryptionKeys keys() {
        return keys;
    }

    /**
     * One caller's wrap-then-unwrap of a fresh 32-byte data key under the current version, with the ciphertext
     * header as AAD, exactly as the envelope service calls the backend for one Encrypt and one Decrypt.
     */
    public TimedCall wrapUnwrap() {
        return () -> {
            byte[] material = new byte[32];
            ThreadLocalRandom.current().nextBytes(material);
            Plaintext dataKey = new Plaintext(material);
            KeyVersion key = keys.current();
            byte[] header = CiphertextFormat.header(key.algorithm(), key.ref());
            CallContext call = CallContext.of("bench", GrpcScenarios.CALL_DEADLINE);
            byte[] wrapped = keys.wrap(key, dataKey, header, call);
            Plaintext back = keys.unwrap(new SealedDataKey(key.algorithm(), key.ref(), wrapped), call);
            if (!back.equals(dataKey)) {
                throw new IllegalStateException("unwrap returned a different data key than was wrapped");
            }
        };
    }

    @Override
    public void close() {
        keys.close();
    }
}
