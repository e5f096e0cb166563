package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Key versions in one real token over the life of several backends: persistence, rotation, refresh. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyRotationTest {

    static SimFixture fixture;
    static EncryptResult writtenUnderVersion1;
    static Plaintext dek1;

    @BeforeAll
    static void create() throws Exception {
        fixture = SimFixture.create(KeyRotationTest.class);
    }

    @AfterAll
    static void remove() throws Exception {
        fixture.close();
    }

    static CallContext call() {
        return CallContext.internal("test", Duration.ofSeconds(10));
    }

    static SoftHsmKekBackend backend(String... overrides) {
        return SoftHsmKekBackend.start(fixture.simSettings(overrides), fixture.env, Telemetry.none(), Clock.systemUTC());
    }

    static Plaintext dataKey(int seed) {
        byte[] bytes = new byte[32];
        java.util.Arrays.fill(bytes, (byte) seed);
        return new Plaintext(bytes);
    }

    static Plaintext decrypt(SoftHsmKekBackend keys, EncryptResult result) {
        return new EnvelopeService(keys, Telemetry.none()).decrypt(
                new DecryptRequest(result.ciphertext(), Optional.of(result.keyId()), result.annotations()), call());
    }

    @Test
    @Order(1)
    void data_written_by_one_backend_decrypts_in_a_fresh_backend_on_the_same_directory() {
        dek1 = dataKey(1);
        try (SoftHsmKekBackend first = backend()) {
            writtenUnderVersion1 = new EnvelopeService(first, Telemetry.none()).encrypt(dek1, call());
        }
        try (SoftHsmKekBackend second = backend()) {
            assertEquals(new KeyRef("kms-plugin-kek", "1"), second.currentKey(), "a restart must not add versions");
            assertEquals(dek1, decrypt(second, writtenUnderVersion1));
        }
    }

    @Test
    @Order(2)
    void after_rotation_new_data_uses_the_new_version_and_old_data_still_decrypts() {
        try (SoftHsmKekBackend keys = backend()) {
            KeyId before = keys.keyId(keys.currentKey());
            try (Simulator operator = Simulator.open(fixture.simSettings(), fixture.env, false)) {
                assertEquals(2, operator.rotate(Clock.systemUTC()).number());
            }
            keys.refresh();
            assertEquals(new KeyRef("kms-plugin-kek", "2"), keys.currentKey());
            KeyId after = keys.keyId(keys.currentKey());
            assertNotEquals(before, after);
            EncryptResult written = new EnvelopeService(keys, Telemetry.none()).encrypt(dataKey(2), call());
            assertEquals(after, written.keyId());
            assertEquals(dataKey(2), decrypt(keys, written));
            assertEquals(dek1, decrypt(keys, writtenUnderVersion1));
        }
    }

    @Test
    @Order(3)
    void a_running_backend_picks_up_a_rotation_within_its_refresh_interval() throws Exception {
        try (SoftHsmKekBackend keys = backend("refresh-interval", "200ms")) {
            assertEquals("2", keys.currentKey().version());
            try (Simulator operator = Simulator.open(fixture.simSettings(), fixture.env, false)) {
                operator.rotate(Clock.systemUTC());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (!keys.currentKey().version().equals("3") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals("3", keys.currentKey().version(), "the rotation was not seen within 3 s");
        }
    }

    @Test
    @Order(4)
    void a_restart_sees_the_newest_version_at_once_and_every_version_still_decrypts() {
        try (SoftHsmKekBackend keys = backend()) {
            assertEquals("3", keys.currentKey().version());
            assertEquals(dek1, decrypt(keys, writtenUnderVersion1));
        }
    }

    @Test
    @Order(5)
    void a_ciphertext_of_a_version_this_process_has_not_read_yet_decrypts_without_waiting_for_the_refresh()
            throws Exception {
        try (SoftHsmKekBackend reader = backend()) {
            EncryptResult newer;
            try (Simulator operator = Simulator.open(fixture.simSettings(), fixture.env, false)) {
                operator.rotate(Clock.systemUTC());
            }
            Thread.sleep(1100);
            try (SoftHsmKekBackend writer = backend()) {
                newer = new EnvelopeService(writer, Telemetry.none()).encrypt(dataKey(4), call());
                assertEquals("4", writer.currentKey().version());
            }
            assertEquals("3", reader.currentKey().version(), "the reader has not refreshed yet");
            assertEquals(dataKey(4), decrypt(reader, newer));
        }
    }
}
