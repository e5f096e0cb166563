package dev.kmsplugin.adapter.softhsm;

import static dev.kmsplugin.adapter.softhsm.SoftHsmFixture.onThreads;
import static dev.kmsplugin.adapter.softhsm.SoftHsmFixture.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.Provider;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The single set-up sequence against a real token: it must produce exactly the bytes of the standard JCE sequence
 * ({@code init}, {@code updateAAD}, {@code doFinal}) in every order of calls, and bind the AAD.
 */
class TokenGcmTest {

    private static Provider provider;
    private static SecretKey v1;
    private static SecretKey v2;

    @BeforeAll
    static void openToken() {
        SimSettings settings = SoftHsmFixture.settings("gcm");
        SoftHsmToken token = SimulatorToken.openOrCreate(settings, SoftHsmFixture.env(), Clock.systemUTC()).token();
        token.generate("gcm", Instant.now());
        List<VersionLabel> versions = token.versions("gcm");
        assertEquals(2, versions.size());
        v1 = token.key(versions.get(0));
        v2 = token.key(versions.get(1));
        provider = token.provider();
    }

    @Test
    void the_running_jdk_passes_the_checks_so_calls_set_up_once() {
        assertTrue(TokenGcm.open(provider).singleSetUp(),
                "SunPKCS11 of this JDK should take the AAD ahead of init; see TokenGcm's log line for what failed");
    }

    @Test
    void the_standard_sequence_it_falls_back_to_seals_the_same_bytes() throws Exception {
        TokenGcm fast = TokenGcm.open(provider);
        TokenGcm standard = TokenGcm.standard(provider);
        for (int i = 0; i < 4; i++) {
            byte[] iv = randomBytes(TokenGcm.IV_BYTES);
            byte[] aad = randomBytes(40);
            byte[] clear = randomBytes(32);
            byte[] wrapped = standard.seal(v1, iv, aad, clear);
            assertArrayEquals(fast.seal(v1, iv, aad, clear), wrapped);
            assertArrayEquals(clear, standard.unseal(v1, wrapped, aad));
            aad[0] ^= 1;
            assertThrows(AEADBadTagException.class, () -> standard.unseal(v1, wrapped, aad));
            standard.forget();
        }
    }

    @Test
    void seals_the_same_bytes_as_the_standard_sequence_and_opens_them_in_any_order_of_calls() throws Exception {
        TokenGcm gcm = TokenGcm.open(provider);
        // encryptions and decryptions mixed, under two key objects, so each call starts from each state a cipher
        // can be in (new, after an encryption, after a decryption) and with the other key's object before it
        String pattern = "EEDDEDDEEDEDDDEE";
        List<byte[]> sealed = new ArrayList<>();
        List<byte[]> clears = new ArrayList<>();
        List<byte[]> aads = new ArrayList<>();
        List<SecretKey> keys = new ArrayList<>();
        for (int i = 0; i < pattern.length(); i++) {
            SecretKey key = i % 3 == 0 ? v2 : v1;
            if (pattern.charAt(i) == 'E' || sealed.isEmpty()) {
                byte[] iv = randomBytes(TokenGcm.IV_BYTES);
                byte[] aad = randomBytes(1 + i);
                byte[] clear = randomBytes(32);
                byte[] wrapped = gcm.seal(key, iv, aad, clear);
                assertArrayEquals(standardSeal(key, iv, aad, clear), wrapped, "call " + i);
                assertArrayEquals(clear, standardOpen(key, wrapped, aad), "call " + i);
                sealed.add(wrapped);
                clears.add(clear);
                aads.add(aad);
                keys.add(key);
            } else {
                int which = i % sealed.size();
                assertArrayEquals(clears.get(which), gcm.unseal(keys.get(which), sealed.get(which), aads.get(which)),
                        "call " + i);
            }
        }
        // a value the standard sequence sealed opens, twice in a row (the second time from a decryption's state)
        byte[] aad = randomBytes(40);
        byte[] clear = randomBytes(32);
        byte[] standard = standardSeal(v1, randomBytes(TokenGcm.IV_BYTES), aad, clear);
        assertArrayEquals(clear, gcm.unseal(v1, standard, aad));
        assertArrayEquals(clear, gcm.unseal(v1, standard, aad));
    }

    @Test
    void a_wrong_aad_a_wrong_key_or_an_altered_value_fails_authentication_from_every_state() throws Exception {
        TokenGcm gcm = TokenGcm.open(provider);
        byte[] aad = randomBytes(40);
        byte[] clear = randomBytes(32);
        byte[] wrapped = gcm.seal(v1, randomBytes(TokenGcm.IV_BYTES), aad, clear);
        byte[] otherAad = aad.clone();
        otherAad[7] ^= 1;
        byte[] altered = wrapped.clone();
        altered[TokenGcm.IV_BYTES] ^= 1;

        // after an encryption
        assertThrows(AEADBadTagException.class, () -> gcm.unseal(v1, wrapped, otherAad));
        gcm.forget();
        // after a decryption, each failure in turn
        for (Failing failing : List.<Failing>of(() -> gcm.unseal(v1, wrapped, otherAad),
                () -> gcm.unseal(v2, wrapped, aad), () -> gcm.unseal(v1, altered, aad))) {
            assertArrayEquals(clear, gcm.unseal(v1, wrapped, aad));
            assertThrows(AEADBadTagException.class, failing::run);
            gcm.forget();
        }
        // and the value is still fine
        assertArrayEquals(clear, gcm.unseal(v1, wrapped, aad));
    }

    @Test
    void threads_each_keep_their_own_cipher() throws Exception {
        TokenGcm gcm = TokenGcm.open(provider);
        onThreads(4, () -> {
            for (int i = 0; i < 50; i++) {
                SecretKey key = i % 2 == 0 ? v1 : v2;
                byte[] aad = randomBytes(8 + i);
                byte[] clear = randomBytes(32);
                byte[] wrapped = gcm.seal(key, randomBytes(TokenGcm.IV_BYTES), aad, clear);
                assertArrayEquals(clear, gcm.unseal(key, wrapped, aad));
                assertArrayEquals(clear, standardOpen(key, wrapped, aad));
            }
        });
    }

    @FunctionalInterface
    private interface Failing {
        void run() throws Exception;
    }

    private static byte[] standardSeal(SecretKey key, byte[] iv, byte[] aad, byte[] clear) throws Exception {
        Cipher cipher = Cipher.getInstance(TokenGcm.TRANSFORMATION, provider);
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TokenGcm.TAG_BITS, iv));
        cipher.updateAAD(aad);
        byte[] sealed = cipher.doFinal(clear);
        byte[] wrapped = new byte[iv.length + sealed.length];
        System.arraycopy(iv, 0, wrapped, 0, iv.length);
        System.arraycopy(sealed, 0, wrapped, iv.length, sealed.length);
        return wrapped;
    }

    private static byte[] standardOpen(SecretKey key, byte[] wrapped, byte[] aad) throws Exception {
        Cipher cipher = Cipher.getInstance(TokenGcm.TRANSFORMATION, provider);
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TokenGcm.TAG_BITS, wrapped, 0, TokenGcm.IV_BYTES));
        cipher.updateAAD(aad);
        return cipher.doFinal(wrapped, TokenGcm.IV_BYTES, wrapped.length - TokenGcm.IV_BYTES);
    }

}
