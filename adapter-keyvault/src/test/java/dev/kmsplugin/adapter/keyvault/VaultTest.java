package dev.kmsplugin.adapter.keyvault;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A test against a fresh HTTPS test vault with its Entra ID endpoints, closed after each test. */
abstract class VaultTest {

    /** A KMS v2 call with the apiserver's 3 s budget. */
    static CallContext v2() {
        return CallContext.of("uid-1", Duration.ofSeconds(3));
    }

    /** The v2 Decrypt of what Encrypt returned: its ciphertext, key_id and annotations. */
    static DecryptRequest decryptOf(EncryptResult result) {
        return DecryptRequest.v2(result.ciphertext(), Optional.of(result.keyId()), result.annotations());
    }

    /** The v2 Decrypt of what Encrypt returned without its annotations: the key_id alone names the version. */
    static DecryptRequest decryptByKeyId(EncryptResult result) {
        return DecryptRequest.v2(result.ciphertext(), Optional.of(result.keyId()), Annotations.none());
    }

    /** A random 32-byte data key. */
    static byte[] dek() {
        byte[] dek = new byte[32];
        new java.security.SecureRandom().nextBytes(dek);
        return dek;
    }

    @TempDir
    Path dir;
    Fixture fixture;
    TestKeyVault vault;

    @BeforeEach
    void startVault() throws Exception {
        fixture = Fixture.create(dir);
        vault = fixture.vault;
    }

    @AfterEach
    void stopVault() {
        fixture.close();
    }
}
