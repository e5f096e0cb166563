package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The backend against a real SoftHSM2 token that it created itself in an empty simulator directory. */
class SoftHsmKekBackendTest {

    static SimFixture fixture;
    static SoftHsmKekBackend backend;
    static final SecureRandom RANDOM = new SecureRandom();

    @BeforeAll
    static void start() throws Exception {
        fixture = SimFixture.create(SoftHsmKekBackendTest.class);
        backend = SoftHsmKekBackend.start(fixture.simSettings(), fixture.env, Telemetry.none(), Clock.systemUTC());
    }

    @AfterAll
    static void stop() throws Exception {
        backend.close();
        fixture.close();
    }

    static CallContext call() {
        return CallContext.internal("test", Duration.ofSeconds(10));
    }

    static Plaintext dataKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new Plaintext(bytes);
    }

    static byte[] header(KeyRef key) {
        return CiphertextFormat.header(Algorithm.AES_256_GCM, key);
    }

    @Test
    void an_empty_directory_gets_a_token_a_private_pin_and_key_version_1() throws Exception {
        assertEquals(new KeyRef("kms-plugin-kek", "1"), backend.currentKey());
        assertTrue(Files.isRegularFile(fixture.dir.resolve("softhsm2.conf")));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(fixture.dir.resolve("user.pin"))));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(fixture.dir.resolve("so.pin"))));
        assertEquals(Algorithm.AES_256_GCM, backend.algorithm());
    }

    @Test
    void wraps_and_unwraps_a_data_key_with_the_header_as_aad() {
        KeyRef key = backend.currentKey();
        Plaintext dek = dataKey();
        byte[] wrapped = backend.wrap(key, dek, header(key), call());
        assertEquals(12 + 32 + 16, wrapped.length, "IV + ciphertext + tag");
        assertEquals(dek, backend.unwrap(key, Algorithm.AES_256_GCM, wrapped, header(key), call()));
    }

    @Test
    void every_wrap_uses_a_fresh_iv() {
        KeyRef key = backend.currentKey();
        Plaintext dek = dataKey();
        byte[] first = backend.wrap(key, dek, header(key), call());
        byte[] second = backend.wrap(key, dek, header(key), call());
        assertNotEquals(java.util.HexFormat.of().formatHex(first, 0, 12), java.util.HexFormat.of().formatHex(second, 0, 12));
    }

    @Test
    void round_trips_through_the_envelope_service_in_the_plugin_format() {
        EnvelopeService service = new EnvelopeService(backend, Telemetry.none());
        Plaintext dek = dataKey();
        EncryptResult result = service.encrypt(dek, call());
        assertEquals(backend.keyId(backend.currentKey()), result.keyId());
        assertTrue(CiphertextFormat.isOurs(result.ciphertext()));
        Plaintext back = service.decrypt(new DecryptRequest(result.ciphertext(), Optional.of(result.keyId()),
                result.annotations()), call());
        assertEquals(dek, back);
    }

    @Test
    void a_tampered_wrapped_key_is_an_integrity_failure() {
        KeyRef key = backend.currentKey();
        byte[] wrapped = backend.wrap(key, dataKey(), header(key), call());
        for (int position : new int[] {0, 11, 12, 30, wrapped.length - 1}) {
            byte[] altered = wrapped.clone();
            altered[position] ^= 0x01;
            assertThrows(KmsException.IntegrityFailure.class,
                    () -> backend.unwrap(key, Algorithm.AES_256_GCM, altered, header(key), call()),
                    "flipped bit at byte " + position);
        }
    }

    @Test
    void a_wrapped_key_moved_under_another_header_is_an_integrity_failure() {
        KeyRef key = backend.currentKey();
        byte[] wrapped = backend.wrap(key, dataKey(), header(key), call());
        byte[] otherHeader = CiphertextFormat.header(Algorithm.AES_256_GCM, new KeyRef("kms-plugin-kek", "7"));
        KmsException e = assertThrows(KmsException.IntegrityFailure.class,
                () -> backend.unwrap(key, Algorithm.AES_256_GCM, wrapped, otherHeader, call()));
        assertTrue(e.getMessage().contains("altered"), e.getMessage());
    }

    @Test
    void a_truncated_wrapped_key_is_an_integrity_failure() {
        KeyRef key = backend.currentKey();
        assertThrows(KmsException.IntegrityFailure.class,
                () -> backend.unwrap(key, Algorithm.AES_256_GCM, new byte[28], header(key), call()));
    }

    @Test
    void a_key_version_the_token_does_not_hold_is_unknown() {
        KeyRef missing = new KeyRef("kms-plugin-kek", "99");
        KmsException e = assertThrows(KmsException.UnknownKeyVersion.class,
                () -> backend.unwrap(missing, Algorithm.AES_256_GCM, new byte[60], header(missing), call()));
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
        assertThrows(KmsException.UnknownKeyVersion.class,
                () -> backend.wrap(missing, dataKey(), header(missing), call()));
        KeyRef notANumber = new KeyRef("kms-plugin-kek", "0a1b2c");
        assertThrows(KmsException.UnknownKeyVersion.class,
                () -> backend.unwrap(notANumber, Algorithm.AES_256_GCM, new byte[60], header(notANumber), call()));
    }

    @Test
    void another_key_name_is_unknown_and_names_the_flag_to_fix_it() {
        KeyRef other = new KeyRef("someone-elses-key", "1");
        KmsException e = assertThrows(KmsException.UnknownKeyVersion.class,
                () -> backend.unwrap(other, Algorithm.AES_256_GCM, new byte[60], header(other), call()));
        assertTrue(e.getMessage().contains("--sim-key-name"), e.getMessage());
    }

    @Test
    void a_ciphertext_of_another_algorithm_is_refused_as_invalid_input() {
        KeyRef key = backend.currentKey();
        KmsException e = assertThrows(KmsException.InvalidInput.class,
                () -> backend.unwrap(key, Algorithm.RSA_OAEP_256, new byte[256], header(key), call()));
        assertTrue(e.getMessage().contains("RSA_OAEP_256"), e.getMessage());
    }

    @Test
    void an_expired_deadline_stops_before_the_token_is_used() {
        KeyRef key = backend.currentKey();
        CallContext expired = new CallContext("late", CallContext.Api.V2, System.nanoTime() - 1);
        assertThrows(KmsException.DeadlineExceeded.class, () -> backend.wrap(key, dataKey(), header(key), expired));
    }

    @Test
    void key_bytes_cannot_be_read_out_of_the_token() throws Exception {
        try (Simulator simulator = Simulator.open(fixture.simSettings(), fixture.env, false)) {
            SecretKey key = simulator.token().versions("kms-plugin-kek").get(0).key();
            assertNull(key.getEncoded(), "the provider handed out key bytes");
            SecretKeyFactory factory = SecretKeyFactory.getInstance("AES", simulator.token().provider());
            // SunPKCS11 asks the token for CKA_VALUE; SoftHSM refuses (CKR_ATTRIBUTE_SENSITIVE).
            Exception refused = assertThrows(java.security.spec.InvalidKeySpecException.class,
                    () -> factory.getKeySpec(key, SecretKeySpec.class));
            StringBuilder chain = new StringBuilder();
            for (Throwable t = refused; t != null; t = t.getCause()) {
                chain.append(t).append(" <- ");
            }
            assertTrue(chain.toString().contains("CKR_ATTRIBUTE_SENSITIVE") || chain.toString().contains("key bytes"),
                    chain.toString());
            assertTrue(key.toString().contains("sensitive") && key.toString().contains("unextractable"), key.toString());
        }
    }

    @Test
    void health_comes_from_a_real_probe_and_is_read_from_memory() {
        Health before = backend.health();
        assertEquals(Health.State.HEALTHY, before.state(), before.detail());
        backend.probe();
        Health after = backend.health();
        assertEquals(Health.State.HEALTHY, after.state());
        assertTrue(after.lastProbeTime().orElseThrow().compareTo(before.lastProbeTime().orElseThrow()) >= 0);
        long start = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            backend.health();
        }
        assertTrue(System.nanoTime() - start < Duration.ofMillis(500).toNanos(), "health() must not touch the token");
    }

    @Test
    void thirty_two_threads_wrap_and_unwrap_concurrently_without_mixing_results() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Callable<Integer>> jobs = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                jobs.add(() -> {
                    int done = 0;
                    for (int i = 0; i < 100; i++) {
                        KeyRef key = backend.currentKey();
                        Plaintext dek = dataKey();
                        byte[] wrapped = backend.wrap(key, dek, header(key), call());
                        assertEquals(dek, backend.unwrap(key, Algorithm.AES_256_GCM, wrapped, header(key), call()));
                        done++;
                    }
                    return done;
                });
            }
            int total = 0;
            for (Future<Integer> result : pool.invokeAll(jobs)) {
                total += result.get();
            }
            assertEquals(3200, total);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void describe_names_the_key_and_token_but_no_pin() throws Exception {
        String pin = Files.readString(fixture.dir.resolve("user.pin")).strip();
        String description = backend.describe();
        assertTrue(description.contains("kms-plugin-kek") && description.contains("kms-plugin"), description);
        assertTrue(!description.contains(pin), description);
    }

    @Test
    void ciphertexts_are_not_plain_copies_of_the_data_key() {
        KeyRef key = backend.currentKey();
        Plaintext dek = dataKey();
        byte[] wrapped = backend.wrap(key, dek, header(key), call());
        byte[] body = java.util.Arrays.copyOfRange(wrapped, 12, 44);
        assertTrue(!java.util.Arrays.equals(body, dek.bytes()));
        assertArrayEquals(dek.bytes(), backend.unwrap(key, Algorithm.AES_256_GCM, wrapped, header(key), call()).bytes());
        new Ciphertext(CiphertextFormat.encode(new dev.kmsplugin.domain.envelope.SealedDataKey(
                Algorithm.AES_256_GCM, key, wrapped)).bytes());
    }
}
