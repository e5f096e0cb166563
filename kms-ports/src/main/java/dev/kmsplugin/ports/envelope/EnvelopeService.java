package dev.kmsplugin.ports.envelope;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Annotations;
import dev.kmsplugin.domain.envelope.Ciphertext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.key.Algorithm;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.inbound.DecryptRequest;
import dev.kmsplugin.ports.inbound.EncryptResult;
import dev.kmsplugin.ports.inbound.EnvelopeEncryption;
import dev.kmsplugin.ports.inbound.StatusReport;
import dev.kmsplugin.ports.outbound.ForeignCiphertexts;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import dev.kmsplugin.ports.spi.Backend;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The envelope use cases: wraps data keys under the backend's current key version into the self-describing
 * ciphertext format, and unwraps them with whichever version the ciphertext names.
 */
public final class EnvelopeService implements EnvelopeEncryption {

    private final KeyEncryptionKeys keys;
    private final Optional<ForeignCiphertexts> foreign;
    private final Telemetry telemetry;

    public EnvelopeService(Backend backend, Telemetry telemetry) {
        Objects.requireNonNull(backend, "backend");
        this.keys = backend.keys();
        this.foreign = backend.foreignCiphertexts();
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        // Series the shipped alerts read exist before the first call: wraps and unwraps, and an unwrap that meets an
        // unknown or retired key version (stored data that no longer decrypts).
        telemetry.backendCallsExpected("wrap", "ok");
        telemetry.backendCallsExpected("unwrap", "ok");
        telemetry.backendCallsExpected("unwrap", Telemetry.outcome(KmsException.Kind.UNKNOWN_KEY_VERSION));
    }

    @Override
    public EncryptResult encrypt(Plaintext plaintext, CallContext call) {
        call.checkDeadline("before the data key was wrapped");
        KeyVersion version = keys.current();
        byte[] header = CiphertextFormat.header(version.algorithm(), version.ref());
        byte[] wrapped = timed("wrap", () -> keys.wrap(version, plaintext, header, call));
        Ciphertext ciphertext = CiphertextFormat.encode(new SealedDataKey(version.algorithm(), version.ref(), wrapped));
        return new EncryptResult(ciphertext, version.keyId(), Annotations.none());
    }

    @Override
    public Plaintext decrypt(DecryptRequest request, CallContext call) {
        call.checkDeadline("before the data key was unwrapped");
        Ciphertext ciphertext = request.ciphertext();
        if (!CiphertextFormat.isOurs(ciphertext)) {
            ForeignCiphertexts reader = foreign.orElseThrow(() -> new KmsException.InvalidInput("ciphertext was not "
                    + "produced by this plugin (no format marker); " + keys.describe() + " cannot read it"));
            return timed("decrypt_foreign", () -> reader.decrypt(ciphertext, request.origin(), call));
        }
        SealedDataKey sealed = CiphertextFormat.decode(ciphertext);
        // Every version of a backend wraps with one algorithm: a ciphertext of another never reaches the backend.
        Algorithm used = keys.current().algorithm();
        if (sealed.algorithm() != used) {
            throw new KmsException.InvalidInput("ciphertext was wrapped with " + sealed.algorithm() + ", which "
                    + keys.describe() + " does not use (it wraps with " + used + "); was it written by another "
                    + "backend?");
        }
        if (request.keyId().isPresent()) {
            KeyId recorded = keys.keyId(sealed.key());
            if (!recorded.equals(request.keyId().get())) {
                throw new KmsException.InvalidInput("key_id '" + Messages.oneLine(request.keyId().get().value(), 80)
                        + "' does not belong to the key version that wrapped this ciphertext ('" + recorded
                        + "'); the ciphertext and key_id were stored for different objects");
            }
        }
        return timed("unwrap", () -> keys.unwrap(sealed, call));
    }

    @Override
    public StatusReport status() {
        Health health = keys.health();
        Optional<KeyId> keyId;
        try {
            keyId = Optional.of(keys.current().keyId());
        } catch (KmsException e) {
            return new StatusReport("no current key version: " + e.getMessage(), Optional.empty(), health);
        }
        String healthz = health.serving() ? StatusReport.OK : health.state().name().toLowerCase(Locale.ROOT)
                + ": " + health.detail();
        return new StatusReport(healthz, keyId, health);
    }

    private <T> T timed(String operation, Supplier<T> work) {
        long start = System.nanoTime();
        String outcome = "ok";
        try {
            return work.get();
        } catch (RuntimeException e) {
            outcome = Telemetry.outcome(e);
            throw e;
        } finally {
            telemetry.backendCallCompleted(operation, outcome, Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
