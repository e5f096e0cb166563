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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backend through the real SDK, over HTTPS, against the protocol-faithful test vault. */
class KeyVaultKekBackendTest {

    @TempDir
    Path dir;
    Fixture fixture;
    TestKeyVault vault;

    @BeforeEach
    void start() throws Exception {
        fixture = Fixture.create(dir);
        vault = fixture.vault;
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    static CallContext v2() {
        return CallContext.of("uid-1", CallContext.Api.V2, Duration.ofSeconds(3));
    }

    static byte[] dek() {
        byte[] dek = new byte[32];
        new java.security.SecureRandom().nextBytes(dek);
        return dek;
    }

    @Test
    void round_trips_a_data_key_through_key_vault_wrap_and_unwrap() {
        TestKeyVault.Version v1 = vault.createVersion("kek", 2048);
        fixture.set("key-version", v1.id);
        try (var backend = fixture.open()) {
            EnvelopeService service = new EnvelopeService(backend, fixture.telemetry);
            byte[] dek = dek();
            EncryptResult result = service.encrypt(new Plaintext(dek), v2());
            assertEquals(new KeyRef("kek", v1.id), backend.currentKey());
            assertEquals(VaultAddress.of("myvault", false, Cloud.PUBLIC, Optional.empty())
                    .keyId(new KeyRef("kek", v1.id)), result.keyId());
            Plaintext back = service.decrypt(new DecryptRequest(result.ciphertext(), Optional.of(result.keyId()),
                    result.annotations()), v2());
            assertArrayEquals(dek, back.bytes());
            assertTrue(vault.count("wrapkey") >= 2 && vault.count("unwrapkey") >= 2, vault.paths().toString());
        }
    }
}
