package dev.kmsplugin.domain.envelope;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ValuesTest {

    @Test
    void empty_plaintext_is_invalid_input() {
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class, () -> new Plaintext(new byte[0]));
        assertTrue(error.getMessage().startsWith("plaintext is empty"));
        assertThrows(KmsException.InvalidInput.class, () -> new Plaintext(null));
    }

    @Test
    void oversized_plaintext_is_invalid_input_with_the_sizes() {
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> new Plaintext(new byte[Plaintext.MAX_BYTES + 1]));
        assertTrue(error.getMessage().startsWith("plaintext is 257 bytes long; at most 256"), error.getMessage());
        assertEquals(Plaintext.MAX_BYTES, new Plaintext(new byte[Plaintext.MAX_BYTES]).length());
    }

    @Test
    void plaintext_never_prints_its_bytes_and_can_be_wiped() {
        byte[] secret = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        Plaintext plaintext = new Plaintext(secret);
        assertEquals("Plaintext[32 bytes]", plaintext.toString());
        secret[0] = 'X';
        assertEquals('0', plaintext.bytes()[0], "input array must be copied");
        plaintext.wipe();
        assertArrayEquals(new byte[32], plaintext.bytes());
    }

    @Test
    void ciphertext_limits_are_the_apiservers() {
        assertThrows(KmsException.InvalidInput.class, () -> new Ciphertext(new byte[0]));
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> new Ciphertext(new byte[1025]));
        assertTrue(error.getMessage().startsWith("ciphertext is 1025 bytes long; at most 1024"));
        assertEquals(1024, new Ciphertext(new byte[1024]).length());
    }

    @Test
    void annotation_keys_must_be_fully_qualified_domain_names() {
        for (String bad : new String[] {"version", "Version.example.com", "-a.example.com", "a..b", "a_b.example.com",
                "trailing.", ".leading.com"}) {
            KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                    () -> Annotations.of(Map.of(bad, new byte[] {1})), bad);
            assertTrue(error.getMessage().contains("is not a fully qualified domain name"), error.getMessage());
        }
        Annotations good = Annotations.of(Map.of("version.azure.akv.io", "1".getBytes(StandardCharsets.UTF_8)));
        assertEquals("1", good.text("version.azure.akv.io").orElseThrow());
    }

    @Test
    void annotations_above_32_kib_in_total_are_rejected() {
        Map<String, byte[]> entries = new HashMap<>();
        entries.put("a.example.com", new byte[16 * 1024]);
        entries.put("b.example.com", new byte[16 * 1024]);
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class, () -> Annotations.of(entries));
        assertTrue(error.getMessage().contains("at most 32768"), error.getMessage());
    }

    @Test
    void annotations_are_copied_and_compared_by_content() {
        byte[] value = {1, 2};
        Annotations first = Annotations.of(Map.of("x.example.com", value));
        value[0] = 9;
        assertEquals(Annotations.of(Map.of("x.example.com", new byte[] {1, 2})), first);
        assertFalse(first.isEmpty());
        assertTrue(Annotations.of(null).isEmpty());
    }
}
