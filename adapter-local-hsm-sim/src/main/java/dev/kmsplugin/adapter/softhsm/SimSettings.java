package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.SettingsCheck;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The simulator's settings ({@code kms.hsm-sim}), read once and validated. */
record SimSettings(Path directory, String tokenLabel, String keyName, Optional<Path> pinFile, Optional<String> library,
        Duration refreshInterval, Duration probeInterval, Duration healthGrace, boolean allowPinsInArgv) {

    /** Settings that keep PINs off command lines (the default). */
    SimSettings(Path directory, String tokenLabel, String keyName, Optional<Path> pinFile, Optional<String> library,
            Duration refreshInterval, Duration probeInterval, Duration healthGrace) {
        this(directory, tokenLabel, keyName, pinFile, library, refreshInterval, probeInterval, healthGrace, false);
    }

    static final Duration MAX_REFRESH_INTERVAL = Duration.ofSeconds(60);

    static List<Flag> flags() {
        return List.of(
                Flag.string("sim-dir", "kms.hsm-sim.dir",
                        "simulator directory: softhsm2.conf, token files, PIN files (hsm-sim backend)"),
                Flag.string("sim-token-label", "kms.hsm-sim.token-label", "SoftHSM token label"),
                Flag.string("sim-key-name", "kms.hsm-sim.key-name", "key-encryption key name in the token"),
                Flag.string("sim-pin-file", "kms.hsm-sim.pin-file",
                        "file holding the token's user PIN"),
                Flag.string("sim-library", "kms.hsm-sim.library",
                        "path of libsofthsm2.so (when unset: the usual install locations)"),
                Flag.duration("sim-refresh-interval", "kms.hsm-sim.refresh-interval",
                        "how often a running server looks for a rotated key version"),
                Flag.duration("sim-probe-interval", "kms.hsm-sim.probe-interval",
                        "how often the token is probed with a real wrap and unwrap"),
                Flag.bool("allow-pins-in-argv", "kms.hsm-sim.allow-pins-in-argv",
                        "without util-linux 'script', let a new token's PINs go on softhsm2-util's command line,"
                        + " readable by every local user"),
                Flag.bool("dry-run", "kms.hsm-sim.retire.dry-run",
                        "retire and restore commands: check and print what would happen, change nothing"),
                Flag.duration("min-successor-age", "kms.hsm-sim.retire.min-successor-age",
                        "retire commands: how long the next version must have been current (when unset: refresh"
                                + " interval + 3m + 1m)"));
    }

    /** The token and key, for logs and messages; nothing secret. */
    String describe() {
        return "hsm-sim token '" + tokenLabel() + "' in " + directory() + ", key '" + keyName() + "'";
    }

    /** How an operator sets {@code path} under {@code kms.hsm-sim}, for messages: {@code --sim-dir}. */
    static String flag(String path) {
        return Flag.spelled(flags(), "kms.hsm-sim." + path);
    }

    static SimSettings from(Settings settings) {
        SettingsCheck check = new SettingsCheck(settings, "kms.hsm-sim", flags());
        Path directory = settings.optionalString("dir").map(Path::of).map(Path::toAbsolutePath).orElse(null);
        if (directory == null) {
            check.problem("the hsm-sim backend needs a simulator directory: set " + flag("dir") + "=DIR");
        }
        String keyName = settings.string("key-name");
        if (!keyName.matches("[A-Za-z0-9-]{1,64}")) {
            check.problem("key-name", "'" + keyName + "' must be 1 to 64 letters, digits or dashes");
        }
        String label = settings.string("token-label");
        if (label.isEmpty() || label.length() > 32) {
            check.problem("token-label", "must be 1 to 32 characters (PKCS#11 limit)");
        }
        Duration refresh = check.positive("refresh-interval");
        // docs/simulator.md promises operators that a rotation reaches every running server within a minute.
        if (refresh.compareTo(MAX_REFRESH_INTERVAL) > 0) {
            check.problem("refresh-interval", "is " + refresh.toSeconds() + "s; at most 60s is allowed, so that a "
                    + "rotation reaches running servers within a minute");
        }
        Duration probe = check.positive("probe-interval");
        Duration grace = check.positive("health-grace");
        return check.done(new SimSettings(directory, label, keyName, settings.optionalString("pin-file").map(Path::of),
                settings.optionalString("library"), refresh, probe, grace,
                settings.bool("allow-pins-in-argv")));
    }

    Path pinPath() {
        return pinFile.orElse(directory.resolve("user.pin"));
    }
}
