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
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The envelope use cases: wraps data keys under the backend's current key version into the self-describing
 * ciphertext format, and unwraps them with whichever version the ciphertext names.
 */
public final class EnvelopeService implements EnvelopeEncryption {

    private final KeyEncryptionKeys keys;
    private final Optional<ForeignCiphertexts> foreign;
    private final Telemetry telemetry;
    private volatile VersionHeader lastHeader;

    private record VersionHeader(KeyVersion version, byte[] header) {
    }

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
        byte[] header = headerOf(version);
        byte[] wrapped = timed("wrap", () -> keys.wrap(version, plaintext, header, call));
        return new EncryptResult(CiphertextFormat.encode(wrapped, header), version.keyId(), Annotations.none());
    }

    // The header of the current version, encoded when the version changes rather than on every Encrypt.
    private byte[] headerOf(KeyVersion version) {
        VersionHeader last = lastHeader;
        if (last == null || last.version() != version) {
            last = new VersionHeader(version, CiphertextFormat.header(version.algorithm(), version.ref()));
            lastHeader = last;
        }
        return last.header();
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
        KeyIdCheck admit = new KeyIdCheck(request.keyId());
        return timed("unwrap", () -> keys.unwrap(sealed, admit, call), admit::refused);
    }

    /**
     * A v2 Decrypt names the key_id the apiserver stored beside the object: it must be that of the version the
     * ciphertext names. The backend resolves the version once and hands it here before the HSM is asked; a refused
     * call never reached the HSM and is not counted as a backend call.
     */
    private static final class KeyIdCheck implements Consumer<KeyVersion> {
        private final Optional<KeyId> sent;
        private boolean refused;

        KeyIdCheck(Optional<KeyId> sent) {
            this.sent = sent;
        }

        @Override
        public void accept(KeyVersion version) {
            if (sent.isPresent() && !version.keyId().equals(sent.get())) {
                refused = true;
                throw new KmsException.InvalidInput("key_id '" + Messages.oneLine(sent.get().value(), 80)
                        + "' does not belong to the key version that wrapped this ciphertext ('" + version.keyId()
                        + "'); the ciphertext and key_id were stored for different objects");
            }
        }

        boolean refused() {
            return refused;
        }
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
        return timed(operation, work, () -> false);
    }

    /** Runs a backend operation and counts it, unless {@code refusedBefore} says it never reached the backend. */
    private <T> T timed(String operation, Supplier<T> work, BooleanSupplier refusedBefore) {
        long start = System.nanoTime();
        String outcome = "ok";
        try {
            return work.get();
        } catch (RuntimeException e) {
            outcome = Telemetry.outcome(e);
            throw e;
        } finally {
            if (!refusedBefore.getAsBoolean()) {
                telemetry.backendCallCompleted(operation, outcome, Duration.ofNanos(System.nanoTime() - start));
            }
        }
    }
}
