package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import java.time.Duration;
import java.util.Optional;

/** The retire-version options: {@code --dry-run}, {@code --min-successor-age} (empty = computed). */
record RetireOptions(boolean dryRun, Optional<Duration> minSuccessorAge) {
    static RetireOptions read(Settings all) {
        boolean dryRun = all.bool("retire.dry-run");
        Optional<Duration> age = all.optionalString("retire.min-successor-age").isPresent()
                ? Optional.of(all.duration("retire.min-successor-age")) : Optional.empty();
        if (age.filter(Duration::isNegative).isPresent()) {
            throw new KmsException.Misconfigured(KeyVaultBackendProvider.flag("retire.min-successor-age")
                    + " must not be negative");
        }
        return new RetireOptions(dryRun, age);
    }
}
