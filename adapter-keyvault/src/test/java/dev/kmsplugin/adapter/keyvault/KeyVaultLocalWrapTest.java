package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.testkit.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;

/** --wrap=local: RSA-OAEP-256 with the current version's public key in the plugin, unwrap in Key Vault. */
class KeyVaultLocalWrapTest extends VaultTest {

    @Test
    void encrypt_makes_no_key_vault_request_and_decrypt_exactly_one() {
        vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            byte[] dek = dek();
            int before = vault.requests.size();
            EncryptResult result = service.encrypt(new Plaintext(dek), v2());
            assertEquals(before, vault.requests.size(), "Encrypt must not call Key Vault: "
                    + vault.paths().subList(before, vault.requests.size()));

            Plaintext back = service.decrypt(decryptOf(result), v2());
            assertArrayEquals(dek, back.bytes());
            List<TestKeyVault.Request> sent = vault.requests.subList(before, vault.requests.size());
            assertEquals(1, sent.size(), vault.paths().subList(before, vault.requests.size()).toString());
            assertEquals("unwrapkey", sent.get(0).operation());
        }
    }

    @Test
    void encrypt_succeeds_while_every_key_vault_request_fails() {
        vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            EnvelopeService service = fixture.service(backend);
            vault.down = true;
            int before = vault.requests.size();
            byte[] dek = dek();
            EncryptResult sealed = service.encrypt(new Plaintext(dek), v2());
            assertEquals(before, vault.requests.size(), "Encrypt reached the vault");
            // Unwrap needs the vault: Decrypt fails as an outage, and succeeds once the vault is back.
            assertThrows(KmsException.BackendUnavailable.class, () -> service.decrypt(decryptOf(sealed), v2()));
            assertTrue(vault.requests.size() > before, "the Decrypt did not try the vault");
            vault.down = false;
            assertArrayEquals(dek, service.decrypt(decryptOf(sealed), v2()).bytes());
        }
    }

    @Test
    void data_wrapped_locally_decrypts_with_remote_wrap_and_the_other_way_round() {
        TestKeyVault.Version v = vault.createVersion("kek", 2048);
        fixture.set("key-version", v.id);
        byte[] localDek = dek();
        byte[] remoteDek = dek();
        EncryptResult local;
        EncryptResult remote;
        try (var backend = fixture.set("wrap", "local").open()) {
            local = fixture.service(backend).encrypt(new Plaintext(localDek),
                    v2());
        }
        long wrapsBefore = vault.count("wrapkey");
        try (var backend = fixture.set("wrap", "remote").open()) {
            EnvelopeService service = fixture.service(backend);
            remote = service.encrypt(new Plaintext(remoteDek), v2());
            assertTrue(vault.count("wrapkey") > wrapsBefore, "--wrap=remote wraps in Key Vault");
            assertArrayEquals(localDek, service.decrypt(decryptOf(local), v2()).bytes());
        }
        assertEquals(local.keyId(), remote.keyId(), "the key_id does not depend on where the wrap happened");
        try (var backend = fixture.set("wrap", "local").open()) {
            EnvelopeService service = fixture.service(backend);
            assertArrayEquals(remoteDek, service.decrypt(decryptOf(remote), v2()).bytes());
        }
    }

    @Test
    void an_expired_current_version_is_not_used_for_a_local_wrap_and_the_newest_usable_one_takes_over() {
        TestKeyVault.Version older = vault.createVersion("kek", 2048);
        TestKeyVault.Version newest = vault.createVersion("kek", 2048);
        Instant now = fixture.clock.instant();
        newest.expires = now.plus(Duration.ofHours(1)).getEpochSecond();
        try (var backend = fixture.open()) {
            assertEquals(newest.id, backend.current().ref().version());
            EnvelopeService service = fixture.service(backend);
            service.encrypt(new Plaintext(dek()), v2());

            fixture.clock.advance(Duration.ofHours(2));
            KeyVersion expired = backend.current();
            int before = vault.requests.size();
            KmsException.AccessDenied e = assertThrows(KmsException.AccessDenied.class,
                    () -> backend.wrap(expired, new Plaintext(dek()), new byte[0], v2()));
            assertTrue(e.getMessage().contains("expired"), e.getMessage());
            assertEquals(0, vault.requests.subList(before, vault.requests.size()).stream()
                    .filter(r -> r.operation().equals("wrapkey")).count());

            // The refused wrap asked for a refresh: versionless mode moves to the newest usable version.
            Await.awaitCondition(() -> older.id.equals(backend.currentRef().version()),
                    () -> "the refresh moved to version " + older.id + "; current is " + backend.currentRef());
            assertEquals(older.id, backend.current().ref().version());
            byte[] dek = dek();
            EncryptResult result = service.encrypt(new Plaintext(dek), v2());
            assertArrayEquals(dek, service.decrypt(decryptOf(result), v2()).bytes());
        }
    }

    @Test
    void a_pinned_version_not_yet_valid_is_refused_at_start() {
        TestKeyVault.Version v = vault.createVersion("kek", 2048);
        v.notBefore = fixture.clock.instant().plus(Duration.ofDays(1)).getEpochSecond();
        fixture.set("key-version", v.id);
        KmsException.AccessDenied e = assertThrows(KmsException.AccessDenied.class, () -> fixture.open().close());
        assertTrue(e.getMessage().contains("not valid before"), e.getMessage());
    }

    @Test
    void a_version_key_vault_reports_disabled_is_never_wrapped_with_locally() {
        TestKeyVault.Version v = vault.createVersion("kek", 2048);
        fixture.set("key-version", v.id);
        try (var backend = fixture.open()) {
            v.enabled = false;
            backend.probe(); // the probe's unwrap in Key Vault learns the version is disabled
            assertEquals(Health.State.UNHEALTHY, backend.health().state());
            KmsException.AccessDenied e = assertThrows(KmsException.AccessDenied.class,
                    () -> backend.wrap(backend.current(), new Plaintext(dek()), new byte[0], v2()));
            assertTrue(e.getMessage().contains("disabled"), e.getMessage());
        }
    }

    @Test
    void a_short_key_is_refused_and_never_used() {
        TestKeyVault.Version v = vault.createVersion("kek", 1024);
        fixture.set("key-version", v.id);
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class, () -> fixture.open().close());
        assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());
        assertEquals(0, vault.count("wrapkey") + vault.count("unwrapkey"));
    }

    @Test
    void local_wrap_refuses_a_public_key_below_2048_bits_or_not_rsa() {
        TestKeyVault.Version shortKey = vault.createVersion("kek", 1024);
        LocalWrap local = new LocalWrap(fixture.clock, VaultAddress.of("myvault", false, Cloud.PUBLIC,
                Optional.empty()));
        var ref = new dev.kmsplugin.domain.key.KeyRef("kek", shortKey.id);
        java.security.interfaces.RSAPublicKey pub = (java.security.interfaces.RSAPublicKey) shortKey.pair.getPublic();
        var jwk = new com.azure.security.keyvault.keys.models.JsonWebKey()
                .setKeyType(com.azure.security.keyvault.keys.models.KeyType.RSA)
                .setN(unsigned(pub.getModulus())).setE(unsigned(pub.getPublicExponent()));
        // a_short_key_is_refused_and_never_used goes through the backend's reading path; here the JWK alone.
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class,
                () -> local.remember(ref, keyOf(jwk)));
        assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());
        assertThrows(KmsException.BackendUnavailable.class, () -> local.wrap(ref, new byte[32]));
        var ec = new com.azure.security.keyvault.keys.models.JsonWebKey()
                .setKeyType(com.azure.security.keyvault.keys.models.KeyType.EC);
        e = assertThrows(KmsException.Misconfigured.class, () -> local.remember(ref, keyOf(ec)));
        assertTrue(e.getMessage().contains("type EC"), e.getMessage());
    }

    @Test
    void the_probe_wraps_locally_and_unwraps_in_key_vault() {
        vault.createVersion("kek", 2048);
        try (var backend = fixture.open()) {
            int before = vault.requests.size();
            backend.probe();
            assertEquals(Health.State.HEALTHY, backend.health().state());
            List<String> ops = vault.requests.subList(before, vault.requests.size()).stream()
                    .map(TestKeyVault.Request::operation).toList();
            assertEquals(List.of("unwrapkey"), ops);
        }
    }

    @Test
    void the_wrap_setting_is_validated_with_a_clear_message() {
        fixture.set("wrap", "hsm");
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class, fixture::settings);
        assertTrue(e.getMessage().contains("--wrap 'hsm'") && e.getMessage().contains("local")
                && e.getMessage().contains("remote"), e.getMessage());
        assertEquals(KeyVaultSettings.WrapMode.REMOTE, fixture.set("wrap", "Remote").settings().wrap());
        // The default is written once, in reference.conf.
        fixture.set("wrap", dev.kmsplugin.ports.testkit.MapSettings.reference("kms.keyvault").string("wrap"));
        assertEquals(KeyVaultSettings.WrapMode.LOCAL, fixture.settings().wrap());
    }

    @Test
    void openssl_decrypts_a_locally_wrapped_key_as_rsa_oaep_with_sha256_and_mgf1_sha256() throws Exception {
        TestKeyVault.Version v = vault.createVersion("kek", 2048);
        Path pem = dir.resolve("key.pem");
        Files.writeString(pem, TestKeyVault.privateKeyPem(v));
        byte[] dek = dek();
        byte[] wrapped;
        try (var backend = fixture.open()) {
            int before = vault.requests.size();
            wrapped = backend.wrap(backend.current(), new Plaintext(dek.clone()), new byte[0], v2());
            assertEquals(before, vault.requests.size());
        }
        assertEquals(256, wrapped.length);
        assertArrayEquals(dek, openssl(pem, wrapped), "openssl must read the local wrap as RSA-OAEP-256");

        // The same check rejects OAEP whose MGF1 uses SHA-1 (the JDK's OAEPWithSHA-256AndMGF1Padding default).
        Cipher sha1Mgf = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
        sha1Mgf.init(Cipher.ENCRYPT_MODE, v.pair.getPublic());
        byte[] wrong = sha1Mgf.doFinal(dek);
        assertThrows(AssertionError.class, () -> openssl(pem, wrong));
    }

    private byte[] openssl(Path pem, byte[] wrapped) throws Exception {
        Path in = Files.createTempFile(dir, "wrapped", ".bin");
        Path out = dir.resolve("clear-" + System.nanoTime() + ".bin");
        Files.write(in, wrapped);
        Process process = new ProcessBuilder("/usr/bin/openssl", "pkeyutl", "-decrypt", "-inkey", pem.toString(),
                "-in", in.toString(), "-out", out.toString(), "-pkeyopt", "rsa_padding_mode:oaep",
                "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256")
                .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "openssl did not finish");
        assertEquals(0, process.exitValue(), () -> "openssl failed: " + read(dir.resolve("openssl.log")));
        return Files.readAllBytes(out);
    }

    private static String read(Path path) {
        try {
            return Files.readString(path);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static byte[] unsigned(java.math.BigInteger value) {
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    // A key bundle as the SDK builds it from Key Vault's JSON, with this JWK and enabled attributes.
    private static com.azure.security.keyvault.keys.models.KeyVaultKey keyOf(
            com.azure.security.keyvault.keys.models.JsonWebKey jwk) throws Exception {
        java.io.StringWriter text = new java.io.StringWriter();
        try (var writer = com.azure.json.JsonProviders.createWriter(text)) {
            writer.writeStartObject().writeJsonField("key", jwk).writeStartObject("attributes")
                    .writeBooleanField("enabled", true).writeEndObject().writeEndObject();
        }
        try (var reader = com.azure.json.JsonProviders.createReader(text.toString())) {
            return com.azure.security.keyvault.keys.models.KeyVaultKey.fromJson(reader);
        }
    }
}
