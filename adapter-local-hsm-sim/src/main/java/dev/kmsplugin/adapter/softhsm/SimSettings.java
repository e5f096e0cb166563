package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.spi.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The simulator's settings ({@code kms.hsm-sim}), read and checked once. */
record SimSettings(
        Path simDir,
        String tokenLabel,
        String keyName,
        Optional<Path> pinFile,
        String pinEnv,
        Optional<Path> library,
        Optional<Path> softhsmUtil,
        Duration refreshInterval,
        Duration probeInterval,
        Duration healthGrace) {

    static final Duration MAX_REFRESH = Duration.ofSeconds(60);

    SimSettings {
        if (tokenLabel.isEmpty() || tokenLabel.length() > 32) {
            throw new KmsException.Misconfigured("kms.hsm-sim.token-label must be 1 to 32 characters (a PKCS#11 "
                    + "token label is 32 bytes), got '" + tokenLabel + "'");
        }
        try {
            new KeyRef(keyName, "1");
        } catch (KmsException.InvalidInput e) {
            throw new KmsException.Misconfigured("kms.hsm-sim.key-name is not usable: " + e.getMessage());
        }
        if (keyName.contains("#")) {
            throw new KmsException.Misconfigured("kms.hsm-sim.key-name must not contain '#' (it separates the parts "
                    + "of a key version's label in the token)");
        }
        positive("refresh-interval", refreshInterval);
        positive("probe-interval", probeInterval);
        if (refreshInterval.compareTo(MAX_REFRESH) > 0) {
            throw new KmsException.Misconfigured("kms.hsm-sim.refresh-interval is " + refreshInterval.toSeconds()
                    + "s; at most 60s is allowed, so that a rotation reaches every server within a minute");
        }
        if (healthGrace.isNegative()) {
            throw new KmsException.Misconfigured("kms.hsm-sim.health-grace must not be negative");
        }
    }

    static SimSettings from(Settings settings) {
        String dir = settings.optionalString("sim-dir").orElseThrow(() -> new KmsException.Misconfigured(
                "the simulator needs a directory for its token: pass --sim-dir=DIR (it is created when missing)"));
        return new SimSettings(
                Path.of(dir).toAbsolutePath().normalize(),
                settings.string("token-label"),
                settings.string("key-name"),
                settings.optionalString("pin-file").map(Path::of),
                settings.string("pin-env"),
                settings.optionalString("library").map(Path::of),
                settings.optionalString("softhsm2-util").map(Path::of),
                settings.duration("refresh-interval"),
                settings.duration("probe-interval"),
                settings.duration("health-grace"));
    }

    private static void positive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new KmsException.Misconfigured("kms.hsm-sim." + name + " must be positive, got " + value);
        }
    }
}
