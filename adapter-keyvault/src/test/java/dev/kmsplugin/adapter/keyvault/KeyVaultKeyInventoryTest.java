package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.KeyInventory.KnownVersion;
import dev.kmsplugin.ports.outbound.KeyInventory.State;
import dev.kmsplugin.ports.spi.ExitCode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The Key Vault backend's key inventory, read from the test vault through the real SDK. */
class KeyVaultKeyInventoryTest extends VaultTest {

    private static final String VAULT_URL = "https://myvault.vault.azure.net/";

    KeyInventory inventory() {
        return KeyVaultBackendProvider.inventory(fixture.settings(), fixture.env, Fixture.trustingClient(),
                fixture.telemetry, fixture.clock);
    }

    /** What the stored data names the version by: the Go plugin's formula, written out here on purpose. */
    static KeyId goPluginKeyId(String version) {
        return KeyId.sha256Hex(VAULT_URL + "keys/kek/" + version);
    }

    /** Versions of {@code kek} with 2048-bit keys, oldest first. */
    TestKeyVault.Version[] versions(int count) {
        TestKeyVault.Version[] versions = new TestKeyVault.Version[count];
        for (int i = 0; i < count; i++) {
            versions[i] = vault.createVersion("kek", 2048);
        }
        return versions;
    }

    /** How the inventory lists {@code v}, current since its creation. */
    static KnownVersion known(TestKeyVault.Version v, State state) {
        return known(v, state, v.created);
    }

    static KnownVersion known(TestKeyVault.Version v, State state, long currentSinceEpochSecond) {
        KeyRef ref = new KeyRef("kek", v.id);
        return new KnownVersion(ref, goPluginKeyId(v.id), state,
                Optional.of(Instant.ofEpochSecond(currentSinceEpochSecond)));
    }

    <T extends KmsException> String failure(Class<T> kind) {
        return assertThrows(kind, this::inventory).getMessage();
    }

    @Test
    void versionless_lists_every_version_oldest_first_and_the_newest_enabled_one_is_current() {
        TestKeyVault.Version[] v = versions(3);
        v[1].enabled = false;
        v[2].notBefore = v[2].created + 600;

        KeyInventory inventory = inventory();

        assertEquals(List.of(known(v[0], State.ENABLED), known(v[1], State.DISABLED),
                known(v[2], State.CURRENT, v[2].created + 600)), inventory.versions());
        VaultAddress address = VaultAddress.of("myvault", false, Cloud.PUBLIC, Optional.empty());
        for (KnownVersion listed : inventory.versions()) {
            assertEquals(address.keyId(listed.ref()), listed.keyId());
        }
        assertEquals(Optional.of(inventory.versions().get(1)), inventory.find(goPluginKeyId(v[1].id)));
        assertEquals(0, vault.count("wrapkey") + vault.count("unwrapkey"), "an inventory makes no round trip");
        assertTrue(inventory.describe().contains(VAULT_URL) && inventory.describe().contains("key kek"),
                inventory.describe());
    }

    @Test
    void versionless_with_the_newest_version_disabled_makes_the_newest_enabled_one_current_as_serving_does() {
        TestKeyVault.Version[] v = versions(3);
        v[2].enabled = false;

        assertEquals(List.of(known(v[0], State.ENABLED), known(v[1], State.CURRENT), known(v[2], State.DISABLED)),
                inventory().versions());
        try (KeyVaultKekBackend serving = fixture.open()) {
            assertEquals(new KeyRef("kek", v[1].id), serving.current().ref());
        }
    }

    @Test
    void a_pinned_key_version_is_current_even_when_newer_ones_exist() {
        TestKeyVault.Version[] v = versions(3);
        v[2].enabled = false;
        fixture.set("key-version", v[0].id);

        KeyInventory inventory = inventory();

        assertEquals(List.of(known(v[0], State.CURRENT), known(v[1], State.ENABLED), known(v[2], State.DISABLED)),
                inventory.versions());
        assertEquals(0, vault.count("get"), "pinned: listing is enough");
    }

    @Test
    void a_pinned_key_version_the_key_does_not_have_is_a_misconfiguration_naming_it() {
        vault.createVersion("kek", 2048);
        fixture.set("key-version", "0123456789abcdef0123456789abcdef");
        String message = failure(KmsException.Misconfigured.class);
        assertTrue(message.contains("0123456789abcdef0123456789abcdef") && message.contains(VAULT_URL), message);
    }

    @Test
    void a_key_that_does_not_exist_is_a_misconfiguration_naming_the_key_and_the_vault() {
        vault.createVersion("other", 2048);
        String message = failure(KmsException.Misconfigured.class);
        assertTrue(message.contains("key 'kek' does not exist in " + VAULT_URL), message);
    }

    @Test
    void a_403_on_listing_says_the_list_permission_is_missing() {
        vault.createVersion("kek", 2048);
        vault.deny("versions");
        KmsException e = assertThrows(KmsException.AccessDenied.class, this::inventory);
        assertTrue(e.getMessage().contains("may not list") && e.getMessage().contains("'list'")
                && e.getMessage().contains("access policy key permissions get, list, unwrapKey"), e.getMessage());
        assertEquals(ExitCode.FORBIDDEN, ExitCode.of(e));
    }

    @Test
    void an_unavailable_vault_is_backend_unavailable_after_the_retries() {
        vault.createVersion("kek", 2048);
        vault.failNext("versions", 503, Map.of(), 4);
        KmsException e = assertThrows(KmsException.BackendUnavailable.class, this::inventory);
        assertTrue(e.getMessage().contains("503"), e.getMessage());
        assertEquals(ExitCode.FAILED, ExitCode.of(e));
    }

    @Test
    void a_refused_credential_is_the_authentication_failure_check_reports() {
        vault.createVersion("kek", 2048);
        vault.clientSecret = "not-what-the-config-file-says";
        String message = failure(KmsException.Misconfigured.class);
        assertTrue(message.contains("authentication failed"), message);
    }
}
