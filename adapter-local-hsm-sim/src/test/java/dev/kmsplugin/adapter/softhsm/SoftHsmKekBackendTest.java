package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.testkit.RecordingTelemetry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SoftHsmKekBackendTest {

    static SimSettings settings;
    static SoftHsmKekBackend backend;
    static EnvelopeService service;

    @BeforeAll
    static void openToken() {
        settings = SoftHsmFixture.settings("kek");
        backend = SoftHsmFixture.backend(settings);
        service = new EnvelopeService(Backend.of(backend), Telemetry.none());
    }

    @AfterAll
    static void closeToken() {
        backend.close();
    }

    @Test
    void round_trips_a_data_key_through_the_token() {
        Plaintext dek = SoftHsmFixture.randomKey();
        EncryptResult result = service.encrypt(dek, SoftHsmFixture.call());
        SealedDataKey sealed = CiphertextFormat.decode(result.ciphertext());
        assertEquals(Algorithm.AES_256_GCM, sealed.algorithm());
        assertEquals(12 + 32 + 16, sealed.wrapped().length, "IV, ciphertext and tag");
        assertEquals(dek, service.decrypt(
                DecryptRequest.v2(result.ciphertext(), Optional.of(result.keyId()), result.annotations()), SoftHsmFixture.call()));
    }

    @Test
    void a_fresh_provider_instance_decrypts_what_an_earlier_one_wrapped() {
        Plaintext dek = SoftHsmFixture.randomKey();
        SimSettings own = SoftHsmFixture.settings("fresh");
        Ciphertext ciphertext;
        SoftHsmKekBackend first = SoftHsmFixture.backend(own);
        try {
            ciphertext = new EnvelopeService(Backend.of(first), Telemetry.none()).encrypt(dek, SoftHsmFixture.call()).ciphertext();
        } finally {
            first.close();
        }
        SoftHsmKekBackend second = SoftHsmFixture.backend(own);
        try {
            assertEquals(dek, new EnvelopeService(Backend.of(second), Telemetry.none())
                    .decrypt(DecryptRequest.of(ciphertext), SoftHsmFixture.call()));
        } finally {
            second.close();
        }
    }

    @Test
    void decrypts_data_written_under_an_earlier_key_version_after_rotation() {
        SimSettings own = SoftHsmFixture.settings("rotation");
        RecordingTelemetry telemetry = new RecordingTelemetry();
        SoftHsmKekBackend rotating = SoftHsmFixture.backend(own, telemetry);
        try {
            EnvelopeService envelope = new EnvelopeService(Backend.of(rotating), Telemetry.none());
            Plaintext dek = SoftHsmFixture.randomKey();
            EncryptResult before = envelope.encrypt(dek, SoftHsmFixture.call());
            assertEquals(new KeyRef("rotation", "1"), rotating.current().ref());

            // another "process" rotates: the token is the shared truth
            VersionLabel first;
            VersionLabel second;
            try (SoftHsmToken admin = SimulatorToken.openExisting(own, SoftHsmFixture.env(), Clock.systemUTC())
                    .token()) {
                first = admin.versions(own.keyName()).get(0);
                second = admin.generate(own.keyName(), Instant.now());
            }
            assertEquals(new KeyRef("rotation", "1"), rotating.current().ref(), "picked up at the next refresh, not before");
            rotating.refresh();
            assertEquals(second.ref(), rotating.current().ref());
            // the metrics hear each current version with its creation time in the token
            assertEquals(List.of(first.keyId(), second.keyId()), telemetry.currentKeys);
            assertEquals(List.of(first.created(), second.created()), telemetry.currentKeysCreated);

            EncryptResult after = envelope.encrypt(dek, SoftHsmFixture.call());
            assertNotEquals(before.keyId(), after.keyId(), "a new version gets a new key_id");
            assertEquals(second.keyId(), after.keyId());
            assertEquals(dek, envelope.decrypt(
                    DecryptRequest.v2(before.ciphertext(), Optional.of(before.keyId()), before.annotations()), SoftHsmFixture.call()));
            assertEquals(dek, envelope.decrypt(DecryptRequest.of(after.ciphertext()), SoftHsmFixture.call()));
        } finally {
            rotating.close();
        }
    }

    @Test
    void key_versions_are_sensitive_and_cannot_be_extracted() throws Exception {
        try (SoftHsmToken token = SimulatorToken.openExisting(settings, SoftHsmFixture.env(), Clock.systemUTC())
                .token()) {
            VersionLabel version = token.versions("kek").get(0);
            SecretKey key = token.key(version);
            assertNull(key.getEncoded(), "the key's bytes must not leave the token");
            SecretKeyFactory factory = SecretKeyFactory.getInstance("AES", token.provider());
            assertThrows(Exception.class, () -> factory.getKeySpec(key, SecretKeySpec.class));
            assertTrue(key.toString().contains("sensitive") && key.toString().contains("unextractable"),
                    key.toString());
        }
    }

    @Test
    void a_tampered_wrapped_key_fails_integrity() {
        byte[] bytes = service.encrypt(SoftHsmFixture.randomKey(), SoftHsmFixture.call()).ciphertext().bytes();
        bytes[bytes.length - 5] ^= 0x40;
        KmsException.IntegrityFailure error = assertThrows(KmsException.IntegrityFailure.class,
                () -> service.decrypt(DecryptRequest.of(new Ciphertext(bytes)), SoftHsmFixture.call()));
        assertTrue(error.getMessage().contains("failed authentication"), error.getMessage());
    }

    @Test
    void a_header_pointing_at_another_version_fails_integrity_instead_of_returning_a_wrong_key() {
        SimSettings own = SoftHsmFixture.settings("swap");
        SoftHsmKekBackend swapping = SoftHsmFixture.backend(own);
        try (SoftHsmToken admin = SimulatorToken.openExisting(own, SoftHsmFixture.env(), Clock.systemUTC()).token()) {
            EnvelopeService envelope = new EnvelopeService(Backend.of(swapping), Telemetry.none());
            SealedDataKey underV1 = CiphertextFormat.decode(envelope.encrypt(SoftHsmFixture.randomKey(), SoftHsmFixture.call()).ciphertext());
            admin.generate(own.keyName(), Instant.now());
            swapping.refresh();
            Ciphertext relabelled = CiphertextFormat.encode(
                    new SealedDataKey(Algorithm.AES_256_GCM, new KeyRef("swap", "2"), underV1.wrapped()));
            assertThrows(KmsException.IntegrityFailure.class,
                    () -> envelope.decrypt(DecryptRequest.of(relabelled), SoftHsmFixture.call()));
        } finally {
            swapping.close();
        }
    }

    @Test
    void an_unknown_key_version_or_key_name_is_reported_as_such() {
        SealedDataKey sealed = CiphertextFormat.decode(service.encrypt(SoftHsmFixture.randomKey(), SoftHsmFixture.call()).ciphertext());
        for (KeyRef other : List.of(new KeyRef("kek", "99"), new KeyRef("other-key", "1"))) {
            Ciphertext ciphertext = CiphertextFormat.encode(
                    new SealedDataKey(Algorithm.AES_256_GCM, other, sealed.wrapped()));
            KmsException.UnknownKeyVersion error = assertThrows(KmsException.UnknownKeyVersion.class,
                    () -> service.decrypt(DecryptRequest.of(ciphertext), SoftHsmFixture.call()));
            assertTrue(error.getMessage().contains(other.name()), error.getMessage());
        }
    }

    @Test
    void a_v2_decrypt_of_an_unknown_version_counts_as_an_unwrap_that_met_an_unknown_key_version() {
        // The shipped alert on stored data that no longer decrypts reads this series; the apiserver always sends a
        // key_id, so the version is resolved with it and the failure must still be counted.
        RecordingTelemetry recorded = new RecordingTelemetry();
        EnvelopeService counted = new EnvelopeService(Backend.of(backend), recorded);
        EncryptResult result = counted.encrypt(SoftHsmFixture.randomKey(), SoftHsmFixture.call());
        SealedDataKey sealed = CiphertextFormat.decode(result.ciphertext());
        Ciphertext vanished = CiphertextFormat.encode(
                new SealedDataKey(Algorithm.AES_256_GCM, new KeyRef("kek", "99"), sealed.wrapped()));
        assertThrows(KmsException.UnknownKeyVersion.class, () -> counted.decrypt(DecryptRequest.v2(vanished,
                Optional.of(result.keyId()), dev.kmsplugin.domain.envelope.Annotations.none()),
                SoftHsmFixture.call()));
        assertEquals(List.of("wrap:ok", "unwrap:unknown_key_version"), recorded.backendCalls);
    }

    @Test
    void a_ciphertext_from_another_backend_is_refused_clearly() {
        SealedDataKey sealed = CiphertextFormat.decode(service.encrypt(SoftHsmFixture.randomKey(), SoftHsmFixture.call()).ciphertext());
        Ciphertext rsa = CiphertextFormat.encode(
                new SealedDataKey(Algorithm.RSA_OAEP_256, sealed.key(), sealed.wrapped()));
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> service.decrypt(DecryptRequest.of(rsa), SoftHsmFixture.call()));
        assertTrue(error.getMessage().contains("RSA_OAEP_256"), error.getMessage());
    }

    @Test
    void thirty_two_threads_wrap_and_unwrap_concurrently_without_a_wrong_answer() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 32; t++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 100; i++) {
                        Plaintext dek = SoftHsmFixture.randomKey();
                        Ciphertext ciphertext = service.encrypt(dek, SoftHsmFixture.call()).ciphertext();
                        if (service.decrypt(DecryptRequest.of(ciphertext), SoftHsmFixture.call()).equals(dek)) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> result : results) {
                assertEquals(100, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void the_health_probe_really_uses_the_token_and_status_reads_it_from_memory() {
        backend.probe();
        Health health = backend.health();
        assertEquals(Health.State.HEALTHY, health.state());
        assertTrue(service.status().healthy());
        assertEquals(backend.current().keyId(), service.status().keyId().orElseThrow());
    }

    @Test
    void key_id_derivation_is_pinned() {
        // Stored beside every object by the apiserver: this value must never change.
        VersionLabel version = new VersionLabel("kek", 1, Instant.parse("2026-11-28T10:15:00Z"));
        assertEquals("kek/v1/2026-11-28T10:15:00Z", version.label());
        assertEquals("17a24b80bbb0216b8821658fe500cd6e09728a7650054361f5357a68cb16b84a", version.keyId().value());
        assertEquals(Optional.of(version), VersionLabel.parse(version.label()));
        assertEquals(Optional.empty(), VersionLabel.parse("kek/v0/2026-11-28T10:15:00Z"));
        assertEquals(Optional.empty(), VersionLabel.parse("someone-elses-object"));
    }
}
