package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.Algorithm;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/**
 * A JVM started without the launcher's --add-exports (surefire runs this class in an execution of its own, without
 * it): the direct path is not available, and the simulator works as before through SunPKCS11's cipher.
 */
class CipherFallbackTest {

    @Test
    void without_the_export_calls_take_sunpkcs11s_cipher_and_still_bind_the_aad() throws Exception {
        SimSettings settings = SoftHsmFixture.settings("fallback");
        SoftHsmToken token = SimulatorToken.openOrCreate(settings, SoftHsmFixture.env(), Clock.systemUTC()).token();
        TokenVersions versions = new TokenVersions(settings, token, (before, after) -> { });
        versions.read(true);
        TokenVersions.Version current = versions.index().current();
        assertNull(DirectGcm.open(token, current), "this JVM must not have the export (see the module's pom)");

        TokenCipher cipher = new TokenCipher(settings, token, versions, Clock.systemUTC(), failure -> { });
        byte[] header = CiphertextFormat.header(Algorithm.AES_256_GCM, current.version().ref());
        byte[] clear = SoftHsmFixture.randomBytes(32);
        byte[] wrapped = cipher.wrap(current, clear, header);
        assertFalse(cipher.direct());
        assertTrue(TokenGcm.open(token.provider()).singleSetUp());
        assertArrayEquals(clear, TokenGcm.standard(token.provider()).unseal(current.key(), wrapped, header));
        assertEquals(new Plaintext(clear), cipher.unwrap(current,
                new SealedDataKey(Algorithm.AES_256_GCM, current.version().ref(), wrapped)));
        wrapped[wrapped.length - 1] ^= 1;
        assertThrows(KmsException.IntegrityFailure.class, () -> cipher.unwrap(current,
                new SealedDataKey(Algorithm.AES_256_GCM, current.version().ref(), wrapped)));
    }
}
