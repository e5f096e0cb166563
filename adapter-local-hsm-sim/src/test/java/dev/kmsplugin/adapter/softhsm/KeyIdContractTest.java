package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.kmsplugin.domain.key.KeyId;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Golden values of what the simulator stores: the apiserver keeps the key_id beside every object and the token
 * keeps the labels, so neither derivation may ever change.
 */
class KeyIdContractTest {

    @Test
    void key_id_is_the_sha256_of_hsm_sim_key_name_and_version() {
        assertEquals(new KeyId("4f130dc70c56c62c4f480fb7ee81c203c94a75677f89b8a5cd326c28561b18f5"),
                Simulator.keyId("kms-plugin-kek", "1"));
        assertEquals(KeyId.sha256Hex("hsm-sim:kms-plugin-kek:2"), Simulator.keyId("kms-plugin-kek", "2"));
        assertNotEquals(Simulator.keyId("kms-plugin-kek", "1"), Simulator.keyId("kms-plugin-kek", "2"));
    }

    @Test
    void key_version_labels_read_back_what_was_written() {
        Token.Label label = new Token.Label("kms-plugin-kek", 12, Instant.parse("2026-11-28T11:00:00Z"));
        assertEquals("kms-plugin-kek#12#2026-11-28T11:00:00Z", label.toString());
        assertEquals(Optional.of(label), Token.Label.parse(label.toString()));
    }

    @Test
    void labels_of_other_objects_are_ignored() {
        assertEquals(Optional.empty(), Token.Label.parse("some-other-object"));
        assertEquals(Optional.empty(), Token.Label.parse("kek#x#2026-11-28T11:00:00Z"));
        assertEquals(Optional.empty(), Token.Label.parse("kek#0#2026-11-28T11:00:00Z"));
        assertEquals(Optional.empty(), Token.Label.parse("#1#2026-11-28T11:00:00Z"));
        assertEquals(Optional.empty(), Token.Label.parse("kek#1#yesterday"));
    }
}
