package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.StoredData;
import dev.kmsplugin.ports.testkit.CommandRun;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kms-plugin keyvault retire-version|restore-version} against the test vault through the real SDK, with the
 * stored data played by a double and "now" by a fixed clock.
 */
class KeyVaultRetireVersionTest extends VaultTest {

    /** What the storage plugin would answer; records which versions it was asked about. */
    static final class Stored implements StoredData {
        volatile Dependence answer = new Dependence("etcd (test double)", 0, 0, List.of());
        final List<KeyRef> asked = new ArrayList<>();

        @Override
        public Dependence dependenceOn(KeyInventory inventory, KeyRef version) {
            asked.add(version);
            return answer;
        }
    }

    final Stored stored = new Stored();
    TestKeyVault.Version a;
    TestKeyVault.Version b;
    Clock clock;

    @BeforeEach
    void twoVersions() {
        a = vault.createVersion("kek", 2048);
        b = vault.createVersion("kek", 2048);
        // B became current (created) an hour ago: old enough for the default minimum of 9 minutes.
        clock = at(Duration.ofHours(1));
    }

    /** A clock {@code since} after B was created. */
    Clock at(Duration since) {
        return Clock.fixed(Instant.ofEpochSecond(b.created).plus(since), ZoneOffset.UTC);
    }

    CommandRun run(String... words) {
        return CommandRun.run(new KeyVaultCommand(fixture.env, settings -> Fixture.trustingClient(), clock)::run,
                List.of(words), fixture.view(), CommandRun.storedData(stored));
    }

    @Test
    void retiring_the_current_version_is_refused_with_6() {
        CommandRun result = run("retire-version", b.id);
        assertEquals(6, result.exitCode(), result.out() + result.err());
        assertTrue(result.out().contains("refused: kek/" + b.id + " is the current version"), result.out());
        assertTrue(b.enabled);
        assertEquals(0, vault.count("update"));
    }

    @Test
    void retiring_while_the_successor_is_young_is_refused_until_min_successor_age_allows_it() {
        clock = at(Duration.ofMinutes(2));
        CommandRun young = run("retire-version", a.id);
        assertEquals(6, young.exitCode(), young.out() + young.err());
        assertTrue(young.out().contains("minimum successor age: 9m (refresh interval 5m + 3m + one Status poll 1m"),
                young.out());
        assertTrue(young.out().contains("refused: kek/" + b.id + " became current at " + Instant.ofEpochSecond(
                b.created) + ", 2m ago"), young.out());
        assertTrue(a.enabled, "nothing changed");
        assertTrue(stored.asked.isEmpty(), "the stored data is read only once the timing allows");

        fixture.set("retire.min-successor-age", "0s");
        CommandRun allowed = run("retire-version", a.id);
        assertEquals(0, allowed.exitCode(), allowed.out() + allowed.err());
        assertTrue(allowed.out().contains("minimum successor age: 0s (--min-successor-age)"), allowed.out());
        assertFalse(a.enabled, "retired: disabled in the vault");
        assertTrue(b.enabled);
    }

    @Test
    void retiring_while_stored_data_depends_on_the_version_is_refused_with_the_details() {
        stored.answer = new StoredData.Dependence("etcd https://127.0.0.1:2379 /registry/ at revision 42", 3, 0,
                List.of("3 values in secrets: /registry/secrets/ns/one, ..."));
        CommandRun result = run("retire-version", a.id);
        assertEquals(6, result.exitCode(), result.out() + result.err());
        assertTrue(result.out().contains("refused: stored data still depends on key version kek/" + a.id
                + " (etcd https://127.0.0.1:2379 /registry/ at revision 42):"), result.out());
        assertTrue(result.out().contains("  3 values in secrets: /registry/secrets/ns/one, ..."), result.out());
        assertEquals(List.of(new KeyRef("kek", a.id)), stored.asked);
        assertTrue(a.enabled);
        assertEquals(0, vault.count("update"));
    }

    @Test
    void a_dry_run_checks_and_prints_but_changes_nothing() {
        fixture.set("retire.dry-run", true);
        CommandRun result = run("retire-version", a.id);
        assertEquals(0, result.exitCode(), result.out() + result.err());
        assertTrue(result.out().contains("dry run: would retire kek/" + a.id + ": set enabled=false on that version "
                + "in Key Vault (reversible; nothing is deleted); nothing changed"), result.out());
        assertTrue(a.enabled);
        assertEquals(0, vault.count("update"));
    }

    @Test
    void a_retired_version_fails_decrypt_naming_restore_version_until_it_is_restored() {
        vault.version("kek", b.id).enabled = false; // serve with A first, then rotate to B
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            byte[] dek = KeyVaultKekBackendTest.dek();
            EncryptResult underA = service.encrypt(new Plaintext(dek), KeyVaultKekBackendTest.v2());
            assertEquals(a.id, backend.current().ref().version());
            vault.version("kek", b.id).enabled = true;
            backend.refresh();
            assertEquals(b.id, backend.current().ref().version());

            CommandRun retired = run("retire-version", a.id);
            assertEquals(0, retired.exitCode(), retired.out() + retired.err());
            assertTrue(retired.out().contains("retired kek/" + a.id + " (key_id " + backend.keyId(
                    new KeyRef("kek", a.id)) + ")"), retired.out());
            assertTrue(retired.out().contains("Undo with: kms-plugin keyvault restore-version " + a.id
                    + " --keyvault-name=myvault --key-name=kek"), retired.out());
            assertEquals(1, vault.updates.size());
            assertFalse(vault.updates.get(0).path("attributes").path("enabled").asBoolean(true));
            assertTrue(vault.paths().contains("PATCH /keys/kek/" + a.id), vault.paths().toString());
            DecryptRequest request = decryptByKeyId(underA);
            KmsException.UnknownKeyVersion e = assertThrows(KmsException.UnknownKeyVersion.class,
                    () -> service.decrypt(request, KeyVaultKekBackendTest.v2()));
            assertTrue(e.getMessage().contains("disabled in Key Vault (retired") && e.getMessage().contains(
                    "kms-plugin keyvault restore-version " + a.id + " --keyvault-name=myvault --key-name=kek"),
                    e.getMessage());

            CommandRun again = run("retire-version", a.id);
            assertEquals(0, again.exitCode(), again.out() + again.err());
            assertTrue(again.out().contains("is already disabled; nothing changed"), again.out());

            CommandRun restored = run("restore-version", a.id);
            assertEquals(0, restored.exitCode(), restored.out() + restored.err());
            assertTrue(restored.out().contains("restored kek/" + a.id), restored.out());
            assertTrue(a.enabled);
            assertArrayEquals(dek, service.decrypt(request, KeyVaultKekBackendTest.v2()).bytes());
        }
    }

    @Test
    void restoring_an_enabled_version_changes_nothing() {
        CommandRun result = run("restore-version", a.id);
        assertEquals(0, result.exitCode(), result.out() + result.err());
        assertTrue(result.out().contains("nothing to restore"), result.out());
        assertEquals(0, vault.count("update"));
    }

    @Test
    void without_the_update_permission_retiring_exits_5_naming_update_and_the_officer_role() {
        vault.deny("update");
        CommandRun result = run("retire-version", a.id);
        assertEquals(5, result.exitCode(), result.out() + result.err());
        assertTrue(result.err().contains("'update'") && result.err().contains("Key Vault Crypto Officer"),
                result.err());
        assertTrue(result.err().contains("to fix: run it as an operator identity"), result.err());
        assertTrue(a.enabled);
    }

    @Test
    void a_pinned_key_version_needs_an_explicit_min_successor_age() {
        fixture.set("key-version", b.id);
        CommandRun refused = run("retire-version", a.id);
        assertEquals(2, refused.exitCode(), refused.out() + refused.err());
        assertTrue(refused.err().contains("--min-successor-age"), refused.err());
        assertEquals(0, vault.requests.stream().filter(r -> r.path().startsWith("/keys")).count(),
                "refused before asking Key Vault");

        fixture.set("retire.min-successor-age", Duration.ofMinutes(30));
        CommandRun allowed = run("retire-version", a.id);
        assertEquals(0, allowed.exitCode(), allowed.out() + allowed.err());
        assertFalse(a.enabled);
    }

    @Test
    void a_version_the_key_lacks_exits_2_listing_the_versions() {
        CommandRun result = run("retire-version", "0123456789abcdef0123456789abcdef");
        assertEquals(2, result.exitCode(), result.out() + result.err());
        assertTrue(result.err().contains("no version '0123456789abcdef0123456789abcdef'")
                && result.err().contains(a.id + " (enabled)") && result.err().contains(b.id + " (current)"),
                result.err());
    }

    @Test
    void an_unreachable_vault_exits_1() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        fixture.set("endpoint", "https://127.0.0.1:" + port + "/");
        CommandRun result = run("retire-version", a.id);
        assertEquals(1, result.exitCode(), result.out() + result.err());
    }

    @Test
    void a_missing_version_word_prints_the_usage_and_exits_2() {
        CommandRun result = run("retire-version");
        assertEquals(2, result.exitCode());
        assertTrue(result.err().contains("retire-version|restore-version VERSION"), result.err());
    }
}
