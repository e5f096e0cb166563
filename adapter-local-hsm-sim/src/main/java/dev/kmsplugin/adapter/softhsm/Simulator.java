package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.adapter.softhsm.Token.KeyVersion;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyId;
import dev.kmsplugin.domain.key.KeyRef;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opening a simulator directory: finds SoftHSM, prepares the directory, creates the token and key version 1 when
 * asked to, and logs in. Shared by the serving backend and the {@code sim} commands.
 */
final class Simulator implements AutoCloseable {

    private static final Logger LOG = System.getLogger(Simulator.class.getName());

    private final SimSettings settings;
    private final SimDirectory directory;
    private final Token token;
    private final boolean createdToken;

    private Simulator(SimSettings settings, SimDirectory directory, Token token, boolean createdToken) {
        this.settings = settings;
        this.directory = directory;
        this.token = token;
        this.createdToken = createdToken;
    }

    /**
     * @param create whether a missing token is created (serving and {@code sim init}) or reported ({@code rotate},
     *               {@code list})
     */
    static Simulator open(SimSettings settings, Map<String, String> env, boolean create) {
        SoftHsmInstallation softhsm = SoftHsmInstallation.find(settings);
        SimDirectory directory = new SimDirectory(settings.simDir());
        if (!create && !Files.isDirectory(settings.simDir())) {
            throw new KmsException.Misconfigured("the simulator directory " + settings.simDir() + " does not exist; "
                    + "create it with: kms-plugin sim init --sim-dir=" + settings.simDir());
        }
        directory.prepare();
        directory.checkEnvironment(env);
        String label = settings.tokenLabel();
        Optional<Long> slot = directory.slotOf(softhsm, label);
        boolean created = false;
        if (slot.isEmpty()) {
            if (!create) {
                throw new KmsException.Misconfigured("the simulator directory " + settings.simDir() + " holds no token "
                        + "labelled '" + label + "'; create it with: kms-plugin sim init --sim-dir=" + settings.simDir());
            }
            try (FileLock lock = directory.lock()) {
                slot = directory.slotOf(softhsm, label);
                if (slot.isEmpty()) {
                    SimDirectory.Pin userPin = directory.pin(settings, env)
                            .orElseGet(() -> directory.generatePin(SimDirectory.USER_PIN));
                    SimDirectory.Pin soPin = directory.soPin();
                    directory.initToken(softhsm, label, soPin, userPin);
                    slot = directory.slotOf(softhsm, label);
                    created = true;
                    LOG.log(Level.INFO, "created the SoftHSM token ''{0}'' in {1} (user PIN in {2})",
                            label, directory.tokenDirectory(), userPin.source());
                }
            } catch (IOException e) {
                throw new KmsException.Misconfigured("cannot release the lock of " + settings.simDir() + ": " + e, e);
            }
            if (slot.isEmpty()) {
                throw new KmsException.BackendUnavailable("softhsm2-util reported success but the token '" + label
                        + "' does not appear in " + directory.tokenDirectory());
            }
        }
        SimDirectory.Pin pin = directory.pin(settings, env).orElseThrow(() -> new KmsException.Misconfigured(
                "no user PIN for the token '" + label + "' in " + settings.simDir() + ": pass --sim-pin-file=FILE, set "
                        + settings.pinEnv() + ", or keep the PIN in " + settings.simDir().resolve(SimDirectory.USER_PIN)));
        Token token = Token.open(softhsm.library(), slot.get(), label, pin);
        return new Simulator(settings, directory, token, created);
    }

    /** The key's versions, creating version 1 when there is none and {@code create} is set. */
    List<KeyVersion> versions(boolean create, Clock clock) {
        List<KeyVersion> versions = token.versions(settings.keyName());
        if (!versions.isEmpty() || !create) {
            return versions;
        }
        try (FileLock lock = directory.lock()) {
            versions = token.versions(settings.keyName());
            if (versions.isEmpty()) {
                KeyVersion first = token.generate(settings.keyName(), 1, clock.instant());
                LOG.log(Level.INFO, "generated version 1 of key ''{0}'' in the token ''{1}'' (key_id {2})",
                        settings.keyName(), settings.tokenLabel(), keyId(settings.keyName(), "1"));
                versions = List.of(first);
            }
            return versions;
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot release the lock of " + settings.simDir() + ": " + e, e);
        }
    }

    /** Adds the next key version; it becomes current. Old versions stay. */
    KeyVersion rotate(Clock clock) {
        try (FileLock lock = directory.lock()) {
            List<KeyVersion> versions = token.versions(settings.keyName());
            int next = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).number() + 1;
            KeyVersion created = token.generate(settings.keyName(), next, clock.instant());
            LOG.log(Level.INFO, "generated version {0} of key ''{1}'' (key_id {2})", next, settings.keyName(),
                    keyId(settings.keyName(), Integer.toString(next)));
            return created;
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot release the lock of " + settings.simDir() + ": " + e, e);
        }
    }

    /**
     * The KMS v2 key_id of a simulator key version: lowercase hex SHA-256 of {@code "hsm-sim:<key name>:<version>"}.
     * Part of the stored-data contract (the apiserver stores it beside every object): never change it.
     */
    static KeyId keyId(String keyName, String version) {
        return KeyId.sha256Hex("hsm-sim:" + keyName + ":" + version);
    }

    static KeyRef ref(String keyName, int version) {
        return new KeyRef(keyName, Integer.toString(version));
    }

    Token token() {
        return token;
    }

    SimDirectory directory() {
        return directory;
    }

    SimSettings settings() {
        return settings;
    }

    boolean createdToken() {
        return createdToken;
    }

    @Override
    public void close() {
        token.close();
    }
}
