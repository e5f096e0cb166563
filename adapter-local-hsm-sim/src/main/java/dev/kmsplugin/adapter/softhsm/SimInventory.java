package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.ports.outbound.KeyInventory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The simulator's key versions as the token lists them, read once: the newest is current (as the serving backend
 * picks it), the ones in the directory's {@code retired-versions} are retired, every other one still unwraps.
 */
record SimInventory(String describe, List<KnownVersion> versions) implements KeyInventory {

    SimInventory {
        versions = List.copyOf(versions);
    }

    /** Opens the existing token, lists the key's versions and closes the token again. */
    static SimInventory read(SimSettings settings, Map<String, String> env, Clock clock) {
        SimulatorToken opened = SimulatorToken.openExisting(settings, env, clock);
        try (SoftHsmToken token = opened.token()) {
            return of(settings, token.versions(settings.keyName()), RetiredVersions.read(settings.directory()));
        }
    }

    static SimInventory of(SimSettings settings, List<VersionLabel> labels, Set<String> retired) {
        List<KnownVersion> versions = new ArrayList<>(labels.size());
        for (int i = 0; i < labels.size(); i++) {
            VersionLabel label = labels.get(i);
            State state = i == labels.size() - 1 ? State.CURRENT
                    : retired.contains(Integer.toString(label.number())) ? State.RETIRED : State.ENABLED;
            versions.add(new KnownVersion(label.ref(), label.keyId(), state, Optional.of(label.created())));
        }
        return new SimInventory("hsm-sim token '" + settings.tokenLabel() + "' in " + settings.directory()
                + ", key '" + settings.keyName() + "'", versions);
    }
}
