package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.CiphertextFormat;
import dev.kmsplugin.domain.envelope.Plaintext;
import dev.kmsplugin.domain.envelope.SealedDataKey;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.health.Health;
import dev.kmsplugin.domain.health.HealthTracker;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.domain.key.KeyVersion;
import dev.kmsplugin.ports.outbound.BackgroundWork;
import dev.kmsplugin.ports.outbound.KeyEncryptionKeys;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The simulator's key-encryption key: AES-256-GCM inside a SoftHSM2 token, one token object per key version
 * ({@link TokenCipher} does the cryptography, {@link TokenVersions} knows the versions).
 *
 * <p>The version index and the health state live in memory and are refreshed in the background, so
 * {@link #current()}, {@link #keyId(KeyRef)} and {@link #health()} never touch the token. The constructor only
 * builds; {@link #start()} reads the token, probes it and schedules the background work.
 */
final class SoftHsmKekBackend implements KeyEncryptionKeys {

    private static final Logger LOG = System.getLogger(SoftHsmKekBackend.class.getName());

    private final SimSettings settings;
    private final SoftHsmToken token;
    private final Telemetry telemetry;
    private final HealthTracker health;
    private final TokenVersions versions;
    private final TokenCipher cipher;
    private final BackgroundWork background;
    private final SecureRandom random = new SecureRandom();

    SoftHsmKekBackend(SimSettings settings, SoftHsmToken token, Telemetry telemetry, Clock clock) {
        this.settings = settings;
        this.token = token;
        this.telemetry = telemetry;
        this.health = new HealthTracker(settings.healthGrace(), clock);
        this.versions = new TokenVersions(settings, token, this::versionsRead);
        this.cipher = new TokenCipher(settings, token, versions, clock, health::failed);
        this.background = new BackgroundWork("hsm-sim-refresh", telemetry);
    }

    /** Reads the token's versions, probes the current one, and schedules refresh and probe. */
    void start() {
        versions.read(true);
        TokenVersions.Version current = versions.index().current();
        telemetry.currentKeyChanged(current.version().keyId(), current.label().created());
        probe();
        background.every(settings.refreshInterval(), "refresh", this::readVersions, this::refreshFailed);
        background.every(settings.probeInterval(), "probe", this::roundTrip, this::probeFailed);
    }

    @Override
    public String describe() {
        return settings.describe();
    }

    @Override
    public KeyVersion current() {
        return versions.index().current().version();
    }

    @Override
    public KeyId keyId(KeyRef key) {
        // Derived once per version when the index is read.
        return versions.version(key).version().keyId();
    }

    @Override
    public byte[] wrap(KeyVersion key, Plaintext dataKey, byte[] aad, CallContext call) {
        TokenVersions.Version version = versions.version(key.ref());
        byte[] clear = dataKey.bytes();
        try {
            call.checkDeadline("before the token wrapped the data key");
            return cipher.wrap(version, clear, aad);
        } finally {
            Arrays.fill(clear, (byte) 0);
        }
    }

    @Override
    public Plaintext unwrap(SealedDataKey sealed, Consumer<KeyVersion> admit, CallContext call) {
        TokenVersions.Version version = versions.version(sealed.key());
        admit.accept(version.version());
        if (sealed.wrappedLength() < TokenCipher.minWrappedBytes()) {
            throw new KmsException.InvalidInput("ciphertext is malformed: a wrapped key of " + sealed.wrappedLength()
                    + " bytes is too short for AES-256-GCM");
        }
        versions.refuseIfRetired(version);
        call.checkDeadline("before the token unwrapped the data key");
        return cipher.unwrap(version, sealed);
    }

    @Override
    public Health health() {
        Health tracked = health.current();
        KmsException gone = cipher.lost();
        if (gone == null) {
            return tracked;
        }
        return new Health(Health.State.UNHEALTHY, "the token's session is gone and opening it again failed: "
                + gone.getMessage(), tracked.lastSuccess(), tracked.lastProbe());
    }

    @Override
    public void close() {
        background.close();
        cipher.close();
        token.close();
    }

    /** Re-reads the token's versions; a newer version becomes current. Runs in the background. */
    void refresh() {
        background.run("refresh", this::readVersions, this::refreshFailed);
    }

    /** A real wrap and unwrap in the token under the current version; feeds the health state. */
    void probe() {
        background.run("probe", this::roundTrip, this::probeFailed);
    }

    private void readVersions() {
        versions.read(true);
    }

    // After every read of the versions: in the background, on demand (a ciphertext of a version not seen yet), or
    // after the token was opened again.
    private void versionsRead(TokenVersions.Index before, TokenVersions.Index after) {
        if (!after.retired().equals(before.retired())) {
            LOG.log(Level.INFO, "retired key versions of ''{0}'': {1}", settings.keyName(), after.retired());
        }
        if (after.current().label().number() != before.current().label().number()) {
            LOG.log(Level.INFO, "key version {0} is now current", after.current().version());
            telemetry.currentKeyChanged(after.current().version().keyId(), after.current().label().created());
        }
    }

    private void refreshFailed(KmsException failure) {
        LOG.log(Level.WARNING, "cannot refresh the key versions of " + describe() + ": " + failure);
    }

    private void roundTrip() {
        byte[] sample = new byte[32];
        random.nextBytes(sample);
        Plaintext plaintext = new Plaintext(sample);
        try {
            CallContext call = CallContext.internal("health-probe", Duration.ofSeconds(5));
            KeyVersion key = current();
            byte[] header = CiphertextFormat.header(key.algorithm(), key.ref());
            SealedDataKey sealed = new SealedDataKey(key.algorithm(), key.ref(), wrap(key, plaintext, header, call));
            Plaintext back = unwrap(sealed, call);
            if (!back.equals(plaintext)) {
                throw new KmsException.IntegrityFailure("the token returned a different key than it wrapped");
            }
            back.wipe();
            health.succeeded();
        } finally {
            plaintext.wipe();
            Arrays.fill(sample, (byte) 0);
        }
    }

    private void probeFailed(KmsException failure) {
        health.failed(failure);
        LOG.log(Level.WARNING, "health probe of " + describe() + " failed: " + failure.getMessage());
    }
}
