package dev.kmsplugin.domain.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kmsplugin.domain.failure.KmsException;
import org.junit.jupiter.api.Test;

class KeyTest {

    @Test
    void key_id_hash_is_lowercase_sha256_hex_of_the_material() {
        // sha256("abc"), a published test vector
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                KeyId.sha256Hex("abc").value());
        assertNotEquals(KeyId.sha256Hex("kek/1"), KeyId.sha256Hex("kek/2"));
    }

    @Test
    void key_id_must_be_non_empty_and_at_most_one_kib() {
        assertThrows(KmsException.InvalidInput.class, () -> new KeyId(""));
        assertThrows(KmsException.InvalidInput.class, () -> new KeyId("x".repeat(1025)));
        assertEquals(1024, new KeyId("x".repeat(1024)).value().length());
    }

    @Test
    void key_ref_parts_are_printable_ascii_up_to_255_bytes() {
        assertThrows(KmsException.InvalidInput.class, () -> new KeyRef("", "1"));
        assertThrows(KmsException.InvalidInput.class, () -> new KeyRef("k", ""));
        assertThrows(KmsException.InvalidInput.class, () -> new KeyRef("k k", "1"));
        assertThrows(KmsException.InvalidInput.class, () -> new KeyRef("ké", "1"));
        assertThrows(KmsException.InvalidInput.class, () -> new KeyRef("k".repeat(256), "1"));
        assertEquals("kek/7", new KeyRef("kek", "7").toString());
    }

    @Test
    void algorithm_codes_are_fixed_forever() {
        assertEquals(1, Algorithm.AES_256_GCM.code());
        assertEquals(2, Algorithm.RSA_OAEP_256.code());
        assertEquals(Algorithm.RSA_OAEP_256, Algorithm.ofCode(2));
        assertThrows(KmsException.InvalidInput.class, () -> Algorithm.ofCode(0));
    }
}
