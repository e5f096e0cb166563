package dev.kmsplugin.ports.envelope;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.inbound.StatusReport;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.testkit.InMemoryKeys;
import dev.kmsplugin.ports.testkit.RecordingTelemetry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EnvelopeServiceTest {

    private final InMemoryKeys keys = new InMemoryKeys();
    private final RecordingTelemetry telemetry = new RecordingTelemetry();
    private final List<String> backendCalls = telemetry.backendCalls;
    private final EnvelopeService service = new EnvelopeService(Backend.of(keys), telemetry);

    private static Plaintext dek() {
        return new Plaintext("a 32-byte data encryption key!!!".getBytes(StandardCharsets.US_ASCII));
    }

    private static CallContext call() {
        return CallContext.of("uid-1", Duration.ofSeconds(3));
    }

    @Test
    void wraps_under_the_current_version_and_unwraps_again() {
        EncryptResult result = service.encrypt(dek(), call());
        assertEquals(keys.current().keyId(), result.keyId());
        assertTrue(result.annotations().isEmpty());
        assertEquals(keys.current().ref(), CiphertextFormat.decode(result.ciphertext()).key());
        Plaintext back = service.decrypt(
                DecryptRequest.v2(result.ciphertext(), Optional.of(result.keyId()), Annotations.none()), call());
        assertEquals(dek(), back);
        assertEquals(List.of("wrap:ok", "unwrap:ok"), backendCalls);
    }

    @Test
    void decrypts_data_written_under_an_earlier_key_version_after_rotation() {
        EncryptResult old = service.encrypt(dek(), call());
        KeyRef next = keys.rotate();
        EncryptResult fresh = service.encrypt(dek(), call());
        assertEquals(next, CiphertextFormat.decode(fresh.ciphertext()).key());
        assertNotEquals(old.keyId(), fresh.keyId());
        assertEquals(dek(), service.decrypt(DecryptRequest.of(old.ciphertext()), call()));
        assertEquals(dek(), service.decrypt(DecryptRequest.of(fresh.ciphertext()), call()));
    }

    @Test
    void a_key_id_that_does_not_belong_to_the_recorded_version_is_invalid_input() {
        EncryptResult old = service.encrypt(dek(), call());
        keys.rotate();
        KeyId current = service.status().keyId().orElseThrow();
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class, () -> service.decrypt(
                DecryptRequest.v2(old.ciphertext(), Optional.of(current), Annotations.none()), call()));
        assertTrue(error.getMessage().contains("does not belong to the key version"), error.getMessage());
        // Refused before the backend was asked: not counted as an unwrap, and the keys never saw it.
        assertEquals(List.of("wrap:ok"), backendCalls);
        assertEquals(0, keys.unwraps());
    }

    @Test
    void a_ciphertext_of_another_algorithm_is_invalid_input_and_never_reaches_the_backend() {
        SealedDataKey sealed = CiphertextFormat.decode(service.encrypt(dek(), call()).ciphertext());
        Ciphertext other = CiphertextFormat.encode(new SealedDataKey(Algorithm.RSA_OAEP_256, sealed.key(),
                sealed.wrapped()));
        int before = keys.unwraps();
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> service.decrypt(DecryptRequest.of(other), call()));
        assertTrue(error.getMessage().contains("RSA_OAEP_256") && error.getMessage().contains("AES_256_GCM"),
                error.getMessage());
        assertEquals(before, keys.unwraps());
    }

    @Test
    void a_tampered_wrapped_key_or_header_fails_integrity() {
        byte[] bytes = service.encrypt(dek(), call()).ciphertext().bytes();
        byte[] body = bytes.clone();
        body[body.length - 1] ^= 1;
        assertThrows(KmsException.IntegrityFailure.class,
                () -> service.decrypt(DecryptRequest.of(new Ciphertext(body)), call()));
        assertEquals("unwrap:integrity_failure", backendCalls.get(backendCalls.size() - 1));
        // Altering the header (here: the version it names, to another version that exists) must fail too.
        keys.rotate();
        SealedDataKey sealed = CiphertextFormat.decode(new Ciphertext(bytes));
        Ciphertext relabelled = CiphertextFormat.encode(new SealedDataKey(sealed.algorithm(),
                new KeyRef(sealed.key().name(), "2"), sealed.wrapped()));
        assertThrows(KmsException.IntegrityFailure.class,
                () -> service.decrypt(DecryptRequest.of(relabelled), call()));
        assertEquals("unwrap:integrity_failure", backendCalls.get(backendCalls.size() - 1));
    }

    @Test
    void a_ciphertext_naming_a_vanished_version_is_an_unknown_key_version() {
        EncryptResult old = service.encrypt(dek(), call());
        keys.forget(CiphertextFormat.decode(old.ciphertext()).key());
        assertThrows(KmsException.UnknownKeyVersion.class,
                () -> service.decrypt(DecryptRequest.of(old.ciphertext()), call()));
    }

    @Test
    void foreign_ciphertexts_are_refused_by_default_with_a_clear_message() {
        Ciphertext foreign = new Ciphertext("bm90IG91cnM".getBytes(StandardCharsets.US_ASCII));
        KmsException.InvalidInput error = assertThrows(KmsException.InvalidInput.class,
                () -> service.decrypt(DecryptRequest.of(foreign), call()));
        assertTrue(error.getMessage().startsWith("ciphertext was not produced by this plugin"), error.getMessage());
    }

    @Test
    void a_call_whose_deadline_passed_does_no_backend_work() {
        CallContext late = CallContext.of("uid-2", Duration.ofNanos(-1));
        assertThrows(KmsException.DeadlineExceeded.class, () -> service.encrypt(dek(), late));
        assertTrue(backendCalls.isEmpty());
    }

    @Test
    void status_reports_ok_and_the_current_key_id_from_memory() {
        StatusReport report = service.status();
        assertTrue(report.healthy());
        assertEquals("ok", report.healthz());
        assertEquals(keys.current().keyId(), report.keyId().orElseThrow());
        assertTrue(backendCalls.isEmpty(), "Status must not call the backend");
        assertEquals(0, keys.wraps() + keys.unwraps(), "Status must not wrap or unwrap");
    }

    @Test
    void status_reports_the_reason_when_the_backend_is_unhealthy() {
        keys.tracker().failed(new KmsException.AccessDenied("unwrapKey is not permitted"));
        StatusReport report = service.status();
        assertFalse(report.healthy());
        assertEquals("unhealthy: unwrapKey is not permitted", report.healthz());
        assertTrue(report.keyId().isPresent(), "key_id stays reported while unhealthy");
    }
}
