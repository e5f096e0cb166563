package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.ports.outbound.KeyInventory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The simulator's key versions as the token lists them, read once: the newest is current (as the serving backend
 * picks it), every other one still unwraps.
 */
record SimInventory(String describe, List<KnownVersion> versions) implements KeyInventory {

    SimInventory {
        versions = List.copyOf(versions);
    }

    /** Opens the existing token, lists the key's versions and closes the token again. */
    static SimInventory read(SimSettings settings, Map<String, String> env, Clock clock) {
        SimulatorToken opened = SimulatorToken.openExisting(settings, env, clock);
        try (SoftHsmToken token = opened.token()) {
            return of(settings, token.versions(settings.keyName()));
        }
    }

    static SimInventory of(SimSettings settings, List<VersionLabel> labels) {
        List<KnownVersion> versions = new ArrayList<>(labels.size());
        for (int i = 0; i < labels.size(); i++) {
            VersionLabel label = labels.get(i);
            State state = i == labels.size() - 1 ? State.CURRENT : State.ENABLED;
            versions.add(new KnownVersion(label.ref(), label.keyId(), state, Optional.of(label.created())));
        }
        return new SimInventory("hsm-sim token '" + settings.tokenLabel() + "' in " + settings.directory()
                + ", key '" + settings.keyName() + "'", versions);
    }
}
