package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.inbound.Origin;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The backend through the real SDK, over HTTPS, against the protocol-faithful test vault. */
class KeyVaultKekBackendTest extends VaultTest {

    @Test
    void round_trips_a_data_key_through_key_vault_wrap_and_unwrap() {
        TestKeyVault.Version v1 = vault.createVersion("kek", 2048);
        fixture.set("key-version", v1.id);
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            byte[] dek = dek();
            EncryptResult result = service.encrypt(new Plaintext(dek), v2());
            assertEquals(new KeyRef("kek", v1.id), backend.current().ref());
            assertEquals(VaultAddress.of("myvault", false, Cloud.PUBLIC, Optional.empty())
                    .keyId(new KeyRef("kek", v1.id)), result.keyId());
            Plaintext back = service.decrypt(decryptOf(result), v2());
            assertArrayEquals(dek, back.bytes());
            // --wrap=local (the default): wrapped with the public key here, unwrapped by Key Vault.
            assertEquals(0, vault.count("wrapkey"), vault.paths().toString());
            assertTrue(vault.count("unwrapkey") >= 2, vault.paths().toString());
        }
    }

    @Test
    void decrypts_data_written_under_an_earlier_key_version_after_rotation() {
        TestKeyVault.Version v1 = vault.createVersion("kek", 2048);
        fixture.set("key-version", v1.id);
        EncryptResult old;
        byte[] dek = dek();
        try (var backend = fixture.open()) {
            old = fixture.service(backend).encrypt(new Plaintext(dek), v2());
        }
        TestKeyVault.Version v2 = vault.createVersion("kek", 3072);
        fixture.set("key-version", v2.id);
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            EncryptResult fresh = service.encrypt(new Plaintext(dek()), v2());
            assertNotEquals(old.keyId(), fresh.keyId(), "a new version must be a new key_id");
            Plaintext back = service.decrypt(decryptByKeyId(old), v2());
            assertArrayEquals(dek, back.bytes());
            assertTrue(vault.paths().stream().anyMatch(p -> p.contains("/keys/kek/" + v1.id + "/unwrapkey")),
                    "the old ciphertext must be unwrapped by the version it names");
        }
    }

    @Test
    void versionless_mode_follows_the_newest_enabled_version_and_reports_the_change() {
        TestKeyVault.Version v1 = vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            assertEquals(v1.id, backend.current().ref().version());
            EnvelopeService service = fixture.service(backend);
            byte[] dek = dek();
            EncryptResult before = service.encrypt(new Plaintext(dek), v2());

            TestKeyVault.Version v2 = vault.createVersion("kek", 2048);
            backend.refresh();
            assertEquals(v2.id, backend.current().ref().version());
            assertEquals(2, fixture.telemetry.currentKeys.size());
            // each with the creation time Key Vault gives the version (its "created" attribute)
            assertEquals(List.of(Instant.ofEpochSecond(v1.created), Instant.ofEpochSecond(v2.created)),
                    fixture.telemetry.currentKeysCreated);
            assertEquals(backend.keyId(new KeyRef("kek", v2.id)), service.status().keyId().orElseThrow());

            // A disabled newest version is skipped; the newest enabled one is current.
            TestKeyVault.Version v3 = vault.createVersion("kek", 2048);
            v3.enabled = false;
            backend.refresh();
            assertEquals(v2.id, backend.current().ref().version());

            assertArrayEquals(dek, service.decrypt(decryptByKeyId(before), v2()).bytes());
        }
    }

    @Test
    void unwrapping_with_a_retired_earlier_version_is_an_unknown_key_version_naming_the_restore_command() {
        TestKeyVault.Version a = vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            EncryptResult underA = service.encrypt(new Plaintext(dek()), v2());
            TestKeyVault.Version b = vault.createVersion("kek", 2048);
            backend.refresh();
            assertEquals(b.id, backend.current().ref().version());
            vault.version("kek", a.id).enabled = false;

            KmsException.UnknownKeyVersion e = assertThrows(KmsException.UnknownKeyVersion.class,
                    () -> service.decrypt(decryptByKeyId(underA), v2()));
            assertTrue(e.getMessage().contains("key kek/" + a.id + " is disabled in Key Vault (retired"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("kms-plugin keyvault restore-version " + a.id
                    + " --keyvault-name=myvault --key-name=kek"), e.getMessage());
            assertEquals(dev.kmsplugin.domain.health.Health.State.HEALTHY, backend.health().state(),
                    "a retired old version says nothing about the current one");
        }
    }

    @Test
    void a_disabled_newest_version_leads_to_the_same_fallback_whether_its_get_answers_200_or_403() {
        vault.disabledGetRefused = true; // Key Vault answers the GET of a disabled version with 403 KeyDisabled
        TestKeyVault.Version v1 = vault.createVersion("kek", 2048);
        TestKeyVault.Version v2 = vault.createVersion("kek", 2048);
        v2.enabled = false;
        try (var backend = fixture.open()) {
            assertEquals(v1.id, backend.current().ref().version(), "the newest enabled version, from the listing");
            assertTrue(backend.health().serving(), backend.health().toString());
            TestKeyVault.Version v3 = vault.createVersion("kek", 2048);
            v3.enabled = false;
            backend.refresh();
            assertEquals(v1.id, backend.current().ref().version());
            assertTrue(backend.health().serving(), backend.health().toString());
        } finally {
            vault.disabledGetRefused = false;
        }
    }

    @Test
    void a_disabled_current_version_stays_an_access_failure() {
        TestKeyVault.Version a = vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            EncryptResult underA = service.encrypt(new Plaintext(dek()), v2());
            vault.version("kek", a.id).enabled = false;

            KmsException.AccessDenied e = assertThrows(KmsException.AccessDenied.class,
                    () -> service.decrypt(decryptByKeyId(underA), v2()));
            assertTrue(e.getMessage().contains("is disabled in Key Vault") && !e.getMessage().contains("retired"),
                    e.getMessage());
        }
    }

    @Test
    void status_and_current_key_make_no_key_vault_call() {
        vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            int before = vault.requests.size();
            for (int i = 0; i < 20; i++) {
                fixture.service(backend).status();
                backend.health();
                backend.current();
            }
            assertEquals(before, vault.requests.size());
        }
    }

    // --- Go-plugin ciphertexts -------------------------------------------------------------------------------------

    static Ciphertext goPluginText(byte[] keyVaultResult) {
        return new Ciphertext(Base64.getUrlEncoder().withoutPadding().encodeToString(keyVaultResult)
                .getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void reads_a_go_plugin_kms_v1_ciphertext_written_with_rsa1_5_under_a_legacy_version() throws Exception {
        TestKeyVault.Version legacy = vault.createVersion("kek", 2048);
        TestKeyVault.Version current = vault.createVersion("kek", 2048);
        byte[] dek = dek();
        Ciphertext stored = goPluginText(vault.encrypt("kek", legacy.id, "RSA1_5", dek));
        fixture.set("key-version", current.id).set("legacy-key-versions", java.util.List.of(legacy.id));
        try (var backend = fixture.open()) {
            Plaintext back = fixture.service(backend).decrypt(
                    DecryptRequest.of(stored), CallContext.of("v1", Duration.ofSeconds(3)));
            assertArrayEquals(dek, back.bytes());
            assertTrue(vault.paths().stream().anyMatch(p -> p.contains("/keys/kek/" + legacy.id + "/decrypt")));
        }
    }

    @Test
    void reads_a_go_plugin_kms_v2_ciphertext_written_with_rsa_oaep_256() throws Exception {
        TestKeyVault.Version pinned = vault.createVersion("kek", 2048);
        byte[] seed = dek();
        Ciphertext stored = goPluginText(vault.encrypt("kek", pinned.id, "RSA-OAEP-256", seed));
        Annotations annotations = Annotations.of(Map.of(
                "version.azure.akv.io", "1".getBytes(StandardCharsets.UTF_8),
                "algorithm.azure.akv.io", "RSA-OAEP-256".getBytes(StandardCharsets.UTF_8),
                "date.azure.akv.io", "Mon, 01 Jan 2024 00:00:00 GMT".getBytes(StandardCharsets.UTF_8)));
        fixture.set("key-version", pinned.id);
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            Plaintext back = service.decrypt(DecryptRequest.v2(stored, Optional.of(backend.keyId(
                    new KeyRef("kek", pinned.id))), annotations), v2());
            assertArrayEquals(seed, back.bytes());

            KmsException.InvalidInput noAnnotation = assertThrows(KmsException.InvalidInput.class, () ->
                    service.decrypt(DecryptRequest.v2(stored, Optional.empty(), Annotations.none()), v2()));
            assertTrue(noAnnotation.getMessage().contains("version.azure.akv.io=1"), noAnnotation.getMessage());
        }
    }

    @Test
    void a_go_plugin_ciphertext_no_configured_version_can_read_is_an_integrity_failure_naming_the_setting()
            throws Exception {
        TestKeyVault.Version forgotten = vault.createVersion("kek", 2048);
        TestKeyVault.Version current = vault.createVersion("kek", 2048);
        Ciphertext stored = goPluginText(vault.encrypt("kek", forgotten.id, "RSA1_5", dek()));
        fixture.set("key-version", current.id);
        try (var backend = fixture.open()) {
            KmsException.IntegrityFailure e = assertThrows(KmsException.IntegrityFailure.class, () ->
                    backend.goPluginReader().decrypt(stored, new Origin.KmsV1beta1(),
                            CallContext.of("v1", Duration.ofSeconds(3))));
            assertTrue(e.getMessage().contains("legacy-key-versions"), e.getMessage());
        }
    }

    static Annotations goV2Annotations() {
        return Annotations.of(Map.of("version.azure.akv.io", "1".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void go_plugin_ciphertexts_are_read_only_when_migrating_unless_the_setting_says_on() throws Exception {
        TestKeyVault.Version only = vault.createVersion("kek", 2048);
        byte[] dek = dek();
        Ciphertext stored = goPluginText(vault.encrypt("kek", only.id, "RSA1_5", dek));
        try (var backend = fixture.open()) {
            KmsException.InvalidInput e = assertThrows(KmsException.InvalidInput.class, () ->
                    backend.goPluginReader().decrypt(stored, new Origin.KmsV1beta1(), v2()));
            assertTrue(e.getMessage().contains("kms.keyvault.go-plugin-ciphertexts"), e.getMessage());
            assertEquals(0, vault.count("decrypt"));
        }
        fixture.set("go-plugin-ciphertexts", "on");
        try (var backend = fixture.open()) {
            assertArrayEquals(dek, backend.goPluginReader().decrypt(stored, new Origin.KmsV1beta1(), v2())
                    .bytes());
        }
    }

    @Test
    void base64url_text_that_is_not_a_modulus_long_never_reaches_key_vault() {
        TestKeyVault.Version pinned = vault.createVersion("kek", 2048);
        fixture.set("key-version", pinned.id);
        try (var backend = fixture.open()) {
            for (Origin origin : new Origin[] {new Origin.KmsV1beta1(), new Origin.KmsV2(Optional.of(
                    backend.keyId(new KeyRef("kek", pinned.id))), goV2Annotations())}) {
                KmsException.InvalidInput e = assertThrows(KmsException.InvalidInput.class, () ->
                        backend.goPluginReader().decrypt(new Ciphertext("not-a-ciphertext".getBytes(
                                StandardCharsets.US_ASCII)), origin, v2()));
                assertTrue(e.getMessage().contains("256, 384 or 512"), e.getMessage());
            }
            assertEquals(0, vault.count("decrypt"));
        }
    }

    @Test
    void a_go_plugin_kms_v2_ciphertext_is_tried_only_under_the_version_its_key_id_names() throws Exception {
        TestKeyVault.Version legacy = vault.createVersion("kek", 2048);
        TestKeyVault.Version pinned = vault.createVersion("kek", 2048);
        Ciphertext stored = goPluginText(vault.encrypt("kek", legacy.id, "RSA-OAEP-256", dek()));
        fixture.set("key-version", pinned.id).set("legacy-key-versions", java.util.List.of(legacy.id));
        try (var backend = fixture.open()) {
            GoPluginCiphertexts reader = backend.goPluginReader();
            assertThrows(KmsException.IntegrityFailure.class, () -> reader.decrypt(stored, new Origin.KmsV2(
                    Optional.of(backend.keyId(new KeyRef("kek", pinned.id))), goV2Annotations()), v2()));
            assertTrue(vault.paths().stream().noneMatch(p -> p.contains(legacy.id + "/decrypt")),
                    vault.paths().toString());
            assertEquals(32, reader.decrypt(stored, new Origin.KmsV2(Optional.of(backend.keyId(
                    new KeyRef("kek", legacy.id))), goV2Annotations()), v2()).bytes().length);
        }
    }

    @Test
    void a_go_plugin_result_that_is_not_a_data_key_is_the_same_uniform_failure() throws Exception {
        TestKeyVault.Version pinned = vault.createVersion("kek", 2048);
        TestKeyVault.Version other = vault.createVersion("kek", 2048);
        Ciphertext shortResult = goPluginText(vault.encrypt("kek", pinned.id, "RSA1_5", new byte[16]));
        Ciphertext otherKey = goPluginText(vault.encrypt("kek", other.id, "RSA1_5", dek()));
        fixture.set("key-version", pinned.id);
        try (var backend = fixture.open()) {
            GoPluginCiphertexts reader = backend.goPluginReader();
            String a = assertThrows(KmsException.IntegrityFailure.class, () ->
                    reader.decrypt(shortResult, new Origin.KmsV1beta1(), v2())).getMessage();
            String b = assertThrows(KmsException.IntegrityFailure.class, () ->
                    reader.decrypt(otherKey, new Origin.KmsV1beta1(), v2())).getMessage();
            assertEquals(a, b);
        }
    }

    @Test
    void text_that_is_not_base64url_is_refused_without_a_key_vault_call() {
        vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            long before = vault.count("decrypt");
            KmsException.InvalidInput e = assertThrows(KmsException.InvalidInput.class, () ->
                    backend.goPluginReader().decrypt(new Ciphertext("not base64 !".getBytes(
                            StandardCharsets.US_ASCII)), new Origin.KmsV1beta1(), CallContext.of("v1",
                            Duration.ofSeconds(3))));
            assertTrue(e.getMessage().contains("Go plugin"), e.getMessage());
            assertEquals(before, vault.count("decrypt"));
        }
    }

    @Test
    void a_header_version_that_is_not_32_hex_digits_is_refused_without_a_key_vault_call() {
        vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            int before = vault.requests.size();
            for (String version : new String[] {"..", "../unwrapkey", "0123", "0123456789ABCDEFG123456789abcdef"}) {
                KmsException.InvalidInput e = assertThrows(KmsException.InvalidInput.class, () -> backend.unwrap(
                        new dev.kmsplugin.domain.envelope.SealedDataKey(dev.kmsplugin.domain.key.Algorithm.RSA_OAEP_256,
                                new KeyRef("kek", version), new byte[256]), v2()));
                assertTrue(e.getMessage().contains("32 hex digits"), e.getMessage());
            }
            assertEquals(before, vault.requests.size(), vault.paths().toString());
        }
    }

    @Test
    void many_unknown_versions_leave_a_bounded_number_of_sdk_clients() {
        vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            java.util.Random random = new java.util.Random(7);
            for (int i = 0; i < 3 * KeyVaultCrypto.MAX_CLIENTS; i++) {
                byte[] id = new byte[16];
                random.nextBytes(id);
                KeyRef unknown = new KeyRef("kek", java.util.HexFormat.of().formatHex(id));
                assertThrows(KmsException.class, () -> backend.unwrap(new dev.kmsplugin.domain.envelope.SealedDataKey(
                        dev.kmsplugin.domain.key.Algorithm.RSA_OAEP_256, unknown, new byte[256]), v2()));
            }
            assertTrue(backend.sdkClients() <= KeyVaultCrypto.MAX_CLIENTS, "clients kept: "
                    + backend.sdkClients());
            EnvelopeService service = fixture.service(backend);
            EncryptResult result = service.encrypt(new Plaintext(dek()), v2());
            service.decrypt(decryptOf(result), v2()).wipe();
        }
    }

    @Test
    void an_altered_ciphertext_is_an_integrity_failure() {
        vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            EncryptResult result = service.encrypt(new Plaintext(dek()), v2());
            byte[] bytes = result.ciphertext().bytes();
            bytes[bytes.length - 5] ^= 0x01;
            assertThrows(KmsException.IntegrityFailure.class, () -> service.decrypt(
                    DecryptRequest.v2(new Ciphertext(bytes), Optional.empty(), Annotations.none()), v2()));
        }
    }

    @Test
    void managed_hsm_asks_for_a_managed_hsm_token_and_derives_key_ids_from_the_hsm_url() throws Exception {
        try (TestKeyVault hsm = new TestKeyVault("myhsm.managedhsm.azure.net", "https://managedhsm.azure.net")) {
            Fixture onHsm = new Fixture(hsm, dir);
            onHsm.conf.putAll(fixture.conf);
            onHsm.set("vault-name", "myhsm").set("managed-hsm", true).set("endpoint", hsm.url())
                    .set("authority-host", hsm.url());
            TestKeyVault.Version v = hsm.createVersion("kek", 2048);
            v.kty = "RSA-HSM";
            try (var backend = onHsm.open()) {
                assertTrue(hsm.tokenRequests.get(0).get("scope").contains("https://managedhsm.azure.net/.default"),
                        hsm.tokenRequests.get(0).toString());
                assertEquals(dev.kmsplugin.domain.key.KeyId.sha256Hex(
                        "https://myhsm.managedhsm.azure.net/keys/kek/" + v.id), backend.current().keyId());
                assertTrue(backend.describe().startsWith("Azure Managed HSM https://myhsm.managedhsm.azure.net/"));
            }
        }
    }
}
