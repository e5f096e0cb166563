package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.SettingsCheck;
import java.time.Duration;
import java.util.Map;

/** The create-key options, validated. */
record CreateOptions(boolean hsm, int size, Duration expiresIn, Duration rotateEvery, Duration notifyBefore,
                     boolean addVersion) {
    static CreateOptions read(Settings all, KeyVaultSettings settings) {
        Settings s = all.at("create");
        SettingsCheck check = new SettingsCheck(s, "kms.keyvault.create", KeyVaultBackendProvider.declaredFlags());
        String type = s.string("key-type").trim().toUpperCase(java.util.Locale.ROOT);
        if (!type.equals("RSA-HSM") && !type.equals("RSA")) {
            check.problem("key-type", "must be RSA-HSM or RSA, not '" + type + "'");
        }
        if (type.equals("RSA") && settings.managedHsm()) {
            check.problem("key-type", "RSA is not available on Managed HSM: every key there is RSA-HSM");
        }
        int size = s.integer("key-size");
        if (size != 2048 && size != 3072 && size != 4096) {
            check.problem("key-size", "must be 2048, 3072 or 4096, not " + size);
        }
        Duration expires = s.duration("expires-in");
        Duration rotate = s.duration("rotate-every");
        Duration notify = s.duration("notify-before-expiry");
        for (Map.Entry<String, Duration> d : Map.of("expires-in", expires, "rotate-every", rotate,
                "notify-before-expiry", notify).entrySet()) {
            if (d.getValue().isNegative() || (!d.getValue().isZero() && d.getValue().toHours() % 24 != 0)) {
                check.problem(d.getKey(), "must be a whole number of days (e.g. 336h for 14 days)");
            }
        }
        if (!notify.isZero() && expires.isZero()) {
            check.problem("notify-before-expiry", "needs " + check.name("expires-in"));
        }
        if (!rotate.isZero() && !expires.isZero() && rotate.compareTo(expires) >= 0) {
            check.problem("rotate-every", "must be shorter than " + check.name("expires-in")
                    + ", or versions expire unrotated");
        }
        boolean hsm = type.equals("RSA-HSM") || settings.managedHsm();
        return check.done(new CreateOptions(hsm, size, expires, rotate, notify, s.bool("add-version")));
    }
}
