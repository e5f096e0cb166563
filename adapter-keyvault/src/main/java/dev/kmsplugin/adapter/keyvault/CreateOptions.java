package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The create-key options, validated. */
record CreateOptions(boolean hsm, int size, Duration expiresIn, Duration rotateEvery, Duration notifyBefore,
                     boolean addVersion) {
    static CreateOptions read(Settings all, KeyVaultSettings settings) {
        Settings s = all.at("create");
        List<String> problems = new ArrayList<>();
        String type = s.string("key-type").trim().toUpperCase(java.util.Locale.ROOT);
        if (!type.equals("RSA-HSM") && !type.equals("RSA")) {
            problems.add("--key-type must be RSA-HSM or RSA, not '" + type + "'");
        }
        if (type.equals("RSA") && settings.managedHsm()) {
            problems.add("--key-type=RSA is not available on Managed HSM: every key there is RSA-HSM");
        }
        int size = s.integer("key-size");
        if (size != 2048 && size != 3072 && size != 4096) {
            problems.add("--key-size must be 2048, 3072 or 4096, not " + size);
        }
        Duration expires = s.duration("expires-in");
        Duration rotate = s.duration("rotate-every");
        Duration notify = s.duration("notify-before-expiry");
        for (Map.Entry<String, Duration> d : Map.of("--key-expires-in", expires, "--rotate-every", rotate,
                "--notify-before-expiry", notify).entrySet()) {
            if (d.getValue().isNegative() || (!d.getValue().isZero() && d.getValue().toHours() % 24 != 0)) {
                problems.add(d.getKey() + " must be a whole number of days (e.g. 2160h for 90 days)");
            }
        }
        if (!notify.isZero() && expires.isZero()) {
            problems.add("--notify-before-expiry needs --key-expires-in");
        }
        if (!rotate.isZero() && !expires.isZero() && rotate.compareTo(expires) >= 0) {
            problems.add("--rotate-every must be shorter than --key-expires-in, or versions expire unrotated");
        }
        if (!problems.isEmpty()) {
            throw new KmsException.Misconfigured(String.join("; ", problems));
        }
        return new CreateOptions(type.equals("RSA-HSM") || settings.managedHsm(), size, expires, rotate, notify,
                s.bool("add-version"));
    }
}
