package dev.kmsplugin.adapter.softhsm;

import static dev.kmsplugin.adapter.softhsm.SoftHsmFixture.onThreads;
import static dev.kmsplugin.adapter.softhsm.SoftHsmFixture.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyVersion;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The direct PKCS#11 path against a real token: the same bytes as SunPKCS11's own cipher in both directions, the
 * AAD and the key bound, sessions shared safely between threads. (surefire passes the launcher's --add-exports.)
 */
class DirectGcmTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static SoftHsmToken token;
    private static TokenVersions.Version v1;
    private static TokenVersions.Version v2;
    private static DirectGcm direct;
    private static TokenGcm cipher;

    @BeforeAll
    static void openToken() {
        SimSettings settings = SoftHsmFixture.settings("direct");
        token = SimulatorToken.openOrCreate(settings, SoftHsmFixture.env(), Clock.systemUTC()).token();
        token.generate("direct", Instant.now());
        List<VersionLabel> labels = token.versions("direct");
        assertEquals(2, labels.size());
        v1 = version(labels.get(0));
        v2 = version(labels.get(1));
        direct = DirectGcm.open(token, v1);
        cipher = TokenGcm.standard(token.provider());
    }

    @AfterAll
    static void close() {
        if (direct != null) {
            direct.close();
        }
    }

    @Test
    void the_launchers_export_makes_the_direct_path_available_and_it_passes_its_checks() {
        assertNotNull(direct, "DirectGcm.open returned null: see its INFO line for what was missing or differed");
        assertEquals(token.generation(), direct.generation());
    }

    @Test
    void seals_the_bytes_sunpkcs11s_cipher_seals_and_each_opens_the_others_values() throws Exception {
        for (TokenVersions.Version version : List.of(v1, v2, v1)) {
            byte[] iv = randomBytes(TokenGcm.IV_BYTES);
            byte[] aad = randomBytes(1 + RANDOM.nextInt(80));
            byte[] clear = randomBytes(32);
            byte[] sealed = direct.seal(version, iv, aad, clear);
            assertArrayEquals(cipher.seal(version.key(), iv, aad, clear), sealed);
            assertArrayEquals(clear, cipher.unseal(version.key(), sealed, aad));
            byte[] byCipher = cipher.seal(version.key(), randomBytes(TokenGcm.IV_BYTES), aad, clear);
            assertArrayEquals(clear, direct.unseal(version, byCipher, aad));
        }
    }

    @Test
    void a_wrong_aad_a_wrong_key_or_an_altered_value_fails_authentication_and_the_next_call_still_works()
            throws Exception {
        byte[] aad = randomBytes(40);
        byte[] clear = randomBytes(32);
        byte[] sealed = direct.seal(v1, randomBytes(TokenGcm.IV_BYTES), aad, clear);
        byte[] otherAad = aad.clone();
        otherAad[5] ^= 1;
        byte[] altered = sealed.clone();
        altered[sealed.length - 1] ^= 1;
        byte[] otherIv = sealed.clone();
        otherIv[0] ^= 1;
        assertThrows(AEADBadTagException.class, () -> direct.unseal(v1, sealed, otherAad));
        assertThrows(AEADBadTagException.class, () -> direct.unseal(v2, sealed, aad));
        assertThrows(AEADBadTagException.class, () -> direct.unseal(v1, altered, aad));
        assertThrows(AEADBadTagException.class, () -> direct.unseal(v1, otherIv, aad));
        assertArrayEquals(clear, direct.unseal(v1, sealed, aad));
    }

    @Test
    void threads_share_the_sessions_without_mixing_their_calls() throws Exception {
        onThreads(4, () -> {
            for (int i = 0; i < 100; i++) {
                TokenVersions.Version version = i % 2 == 0 ? v1 : v2;
                byte[] aad = randomBytes(16 + i % 7);
                byte[] clear = randomBytes(32);
                byte[] sealed = direct.seal(version, randomBytes(TokenGcm.IV_BYTES), aad, clear);
                assertArrayEquals(clear, direct.unseal(version, sealed, aad));
            }
        });
    }

    @Test
    void the_backend_takes_the_direct_path_and_its_values_open_through_the_cipher() throws Exception {
        SimSettings settings = SoftHsmFixture.settings("direct");
        TokenVersions versions = new TokenVersions(settings, token, (before, after) -> { });
        versions.read(true);
        TokenCipher tokenCipher = new TokenCipher(settings, token, versions, Clock.systemUTC(), failure -> { });
        TokenVersions.Version current = versions.index().current();
        byte[] header = CiphertextFormat.header(Algorithm.AES_256_GCM, current.version().ref());
        byte[] clear = randomBytes(32);
        byte[] wrapped = tokenCipher.wrap(current, clear, header);
        assertTrue(tokenCipher.direct(), "TokenCipher fell back to SunPKCS11's cipher");
        assertArrayEquals(clear, cipher.unseal(current.key(), wrapped, header));
        Plaintext opened = tokenCipher.unwrap(current, new SealedDataKey(Algorithm.AES_256_GCM,
                current.version().ref(), wrapped));
        assertEquals(new Plaintext(clear), opened);
    }

    private static TokenVersions.Version version(VersionLabel label) {
        return new TokenVersions.Version(label, new KeyVersion(label.ref(), label.keyId(), Algorithm.AES_256_GCM),
                token.key(label));
    }

}
