package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.ports.outbound.KeyInventory.KnownVersion;
import dev.kmsplugin.ports.retirement.Retirement;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.ExitCode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code kms-plugin sim retire|restore VERSION}: the shared retirement procedure, with the simulator's reversible
 * switch, the {@code retired-versions} file of the simulator directory. Runs under the directory's admin lock.
 */
final class SimRetirement implements Retirement.Switch {

    private final SimSettings settings;

    private SimRetirement(SimSettings settings) {
        this.settings = settings;
    }

    static ExitCode run(boolean retire, String version, SimSettings settings, SoftHsmToken token,
                   Command.Invocation invocation, Clock clock) {
        Settings raw = invocation.settings();
        boolean dryRun = raw.bool("retire.dry-run");
        SimInventory inventory = SimInventory.of(settings, token.versions(settings.keyName()),
                RetiredVersions.read(settings.directory()));
        SimRetirement backend = new SimRetirement(settings);
        if (!retire) {
            return Retirement.restore(version, inventory, backend, dryRun, invocation.out());
        }
        Optional<Duration> minimum = raw.optionalString("retire.min-successor-age")
                .map(given -> raw.duration("retire.min-successor-age"));
        return Retirement.retire(new Retirement.Request(version, minimum, settings.refreshInterval(), dryRun),
                inventory, backend, () -> invocation.collaborators().storedData(), clock, invocation.out());
    }

    @Override
    public void retire(KnownVersion version) {
        Set<String> retired = new TreeSet<>(RetiredVersions.read(settings.directory()));
        retired.add(version.ref().version());
        RetiredVersions.write(settings.directory(), retired);
    }

    @Override
    public void restore(KnownVersion version) {
        Set<String> retired = new TreeSet<>(RetiredVersions.read(settings.directory()));
        retired.remove(version.ref().version());
        RetiredVersions.write(settings.directory(), retired);
    }

    @Override
    public String restoreCommand(KnownVersion version) {
        return "kms-plugin sim restore " + version.ref().version() + " " + SimSettings.flag("dir") + "="
                + settings.directory();
    }

    @Override
    public String describeRetire() {
        Path file = settings.directory().resolve(RetiredVersions.FILE);
        return "list it in " + file + " (the token keeps the version, its label and its key_id); running plugins"
                + " refuse it within " + Retirement.format(settings.refreshInterval());
    }
}
