package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.PluginContext;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The key inventory the storage audit reads: the token's versions, as {@code sim list} shows them. */
class SimInventoryTest {

    @Test
    void the_inventory_lists_every_version_with_its_key_id_and_the_newest_as_current() throws Exception {
        Map<String, String> values = SimCommandTest.settings(SoftHsmFixture.LABEL);
        assertEquals(0, SimCommandTest.sim(values, "init").exitCode());
        assertEquals(0, SimCommandTest.sim(values, "rotate").exitCode());
        assertEquals(0, SimCommandTest.sim(values, "rotate").exitCode());
        KeyInventory inventory = new SoftHsmBackendProvider().keyInventory(new PluginContext(
                SoftHsmFixture.settingsView(values), Telemetry.none(), Clock.systemUTC()));

        List<String> listed = SimCommandTest.sim(values, "list").out().lines().skip(2).toList();
        List<KeyInventory.KnownVersion> versions = inventory.versions();
        assertEquals(3, versions.size(), "one entry per version 'sim list' shows: " + listed);
        for (int i = 0; i < versions.size(); i++) {
            KeyInventory.KnownVersion version = versions.get(i);
            String line = listed.get(i);
            assertEquals(new KeyRef("kek", Integer.toString(i + 1)), version.ref());
            assertTrue(line.endsWith(version.keyId().value()), "key_id as 'sim list' shows it: " + line);
            assertEquals(i == versions.size() - 1 ? KeyInventory.State.CURRENT : KeyInventory.State.ENABLED,
                    version.state());
            assertTrue(line.contains(version.currentSince().orElseThrow().toString()), line);
        }
        assertTrue(inventory.describe().contains("'kek'"), inventory.describe());
    }
}
