package dev.kmsplugin.domain.envelope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CiphertextFormatTest {

    private static final HexFormat HEX = HexFormat.of();

    // Golden vector: these bytes are what every release must keep reading. Changing them means stored data breaks.
    private static final String GOLDEN_HEX =
            "c5" // marker
            + "01" // format version 1
            + "01" // algorithm AES_256_GCM
            + "03" + "6b656b" // key name "kek"
            + "01" + "32" // key version "2"
            + "0004" // wrapped length 4
            + "deadbeef"; // wrapped bytes

    private static final SealedDataKey GOLDEN = new SealedDataKey(
            Algorithm.AES_256_GCM, new KeyRef("kek", "2"), HEX.parseHex("deadbeef"));

    @Test
    void encodes_the_documented_bytes() {
        assertEquals(GOLDEN_HEX, HEX.formatHex(CiphertextFormat.encode(GOLDEN).bytes()));
    }

    @Test
    void decodes_the_documented_bytes() {
        assertEquals(GOLDEN, CiphertextFormat.decode(new Ciphertext(HEX.parseHex(GOLDEN_HEX))));
    }

    @Test
    void header_is_everything_before_the_wrapped_length_and_is_what_backends_bind_as_aad() {
        assertEquals("c50101036b656b0132", HEX.formatHex(GOLDEN.header()));
    }

    @Test
    void round_trips_a_key_vault_shaped_ciphertext_within_the_apiserver_limit() {
        byte[] rsa4096 = new byte[512];
        Arrays.fill(rsa4096, (byte) 7);
        SealedDataKey sealed = new SealedDataKey(Algorithm.RSA_OAEP_256,
                new KeyRef("kubernetes-kms-key", "0123456789abcdef0123456789abcdef"), rsa4096);
        Ciphertext ciphertext = CiphertextFormat.encode(sealed);
        assertTrue(ciphertext.length() <= Ciphertext.MAX_BYTES);
        assertEquals(sealed, CiphertextFormat.decode(ciphertext));
    }

    @Test
    void recognises_its_own_marker_and_not_base64url_text_from_the_go_plugin() {
        assertTrue(CiphertextFormat.isOurs(new Ciphertext(HEX.parseHex(GOLDEN_HEX))));
        Ciphertext legacy = new Ciphertext("dGhpcyBpcyBub3QgcmVhbGx5IFJTQQ".getBytes(StandardCharsets.US_ASCII));
        assertFalse(CiphertextFormat.isOurs(legacy));
    }

    @Test
    void every_truncation_is_rejected_as_malformed_naming_the_field() {
        byte[] full = HEX.parseHex(GOLDEN_HEX);
        for (int length = 1; length < full.length; length++) {
            Ciphertext cut = new Ciphertext(Arrays.copyOf(full, length));
            KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                    () -> CiphertextFormat.decode(cut), "length " + length);
            assertTrue(error.getMessage().startsWith("ciphertext is malformed: it ends inside the "), error.getMessage());
        }
    }

    @Test
    void trailing_bytes_are_rejected() {
        Ciphertext longer = new Ciphertext(HEX.parseHex(GOLDEN_HEX + "00"));
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> CiphertextFormat.decode(longer));
        assertEquals("ciphertext is malformed: 1 unexpected bytes follow the wrapped key", error.getMessage());
    }

    @Test
    void an_unknown_format_version_asks_for_an_upgrade() {
        Ciphertext future = new Ciphertext(HEX.parseHex("c502" + GOLDEN_HEX.substring(4)));
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> CiphertextFormat.decode(future));
        assertTrue(error.getMessage().contains("format version 2"), error.getMessage());
        assertTrue(error.getMessage().contains("upgrade the plugin"), error.getMessage());
    }

    @Test
    void an_unknown_algorithm_code_is_rejected() {
        Ciphertext unknown = new Ciphertext(HEX.parseHex("c50163" + GOLDEN_HEX.substring(6)));
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> CiphertextFormat.decode(unknown));
        assertTrue(error.getMessage().contains("algorithm 99"), error.getMessage());
    }

    @Test
    void a_key_name_with_control_bytes_is_malformed() {
        Ciphertext bad = new Ciphertext(HEX.parseHex("c50101036b0a6b013200040102030405".substring(0, 30)));
        assertThrows(KmsException.InvalidInput.class, () -> CiphertextFormat.decode(bad));
    }

    @Test
    void an_empty_wrapped_key_is_malformed() {
        Ciphertext empty = new Ciphertext(HEX.parseHex("c50101036b656b01320000"));
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> CiphertextFormat.decode(empty));
        assertEquals("ciphertext is malformed: the wrapped key is empty", error.getMessage());
    }

    @Test
    void refuses_to_encode_a_ciphertext_above_the_apiserver_limit() {
        SealedDataKey huge = new SealedDataKey(Algorithm.RSA_OAEP_256, new KeyRef("k", "1"), new byte[1020]);
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> CiphertextFormat.encode(huge));
        assertTrue(error.getMessage().contains("1024-byte limit"), error.getMessage());
    }

    @Test
    void wrapped_bytes_are_copied_in_and_out() {
        byte[] wrapped = {1, 2, 3};
        SealedDataKey sealed = new SealedDataKey(Algorithm.AES_256_GCM, new KeyRef("k", "1"), wrapped);
        wrapped[0] = 9;
        sealed.wrapped()[1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3}, sealed.wrapped());
    }
}
