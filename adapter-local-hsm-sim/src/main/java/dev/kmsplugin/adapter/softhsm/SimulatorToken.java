package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** Opens the simulator's token, creating the token and key version 1 on first use of a directory. */
record SimulatorToken(SoftHsmToken token, SoftHsmInstallation installation, Path conf, boolean created) {

    private static final Logger LOG = System.getLogger(SimulatorToken.class.getName());

    static SimulatorToken openOrCreate(SimSettings settings, Map<String, String> env, Clock clock) {
        return open(settings, env, clock, true);
    }

    /** Opens an existing token; a directory without one is an error that says how to create it. */
    static SimulatorToken openExisting(SimSettings settings, Map<String, String> env, Clock clock) {
        return open(settings, env, clock, false);
    }

    private static SimulatorToken open(SimSettings settings, Map<String, String> env, Clock clock, boolean create) {
        SimDirectory directory = new SimDirectory(settings, env);
        if (!create && !java.nio.file.Files.isDirectory(settings.directory())) {
            // Commands that only read a token leave a mistyped --sim-dir as they found it.
            throw new KmsException.Misconfigured("there is no SoftHSM token '" + settings.tokenLabel() + "' in "
                    + settings.directory() + " (the directory does not exist); run 'kms-plugin sim init "
                    + SimSettings.flag("dir") + "="
                    + settings.directory() + "', or fix the path");
        }
        Path conf = directory.prepareConf();
        SoftHsmInstallation installation = SoftHsmInstallation.find(settings.library());
        Optional<SoftHsmInstallation.TokenSlot> slot = installation.token(conf, settings.tokenLabel());
        boolean created = false;
        if (slot.isEmpty() && !create) {
            throw new KmsException.Misconfigured("there is no SoftHSM token '" + settings.tokenLabel() + "' in "
                    + settings.directory() + "; run 'kms-plugin sim init " + SimSettings.flag("dir") + "="
                    + settings.directory() + "'"
                    + elsewhereHint(conf, settings));
        }
        if (slot.isEmpty()) {
            try (SimDirectory.AdminLock lock = directory.lock()) {
                slot = installation.token(conf, settings.tokenLabel());
                if (slot.isEmpty()) {
                    installation.initToken(conf, settings.tokenLabel(), directory.newSoPin(),
                            directory.userPinCreatingIfAbsent(), settings.allowPinsInArgv());
                    slot = installation.token(conf, settings.tokenLabel());
                    created = true;
                    if (directory.created()) {
                        LOG.log(Level.INFO, SimSettings.flag("dir")
                                + " {1} did not exist: created it (mode 0700) with a new SoftHSM"
                                + " token ''{0}'' (user PIN in {2})", settings.tokenLabel(), settings.directory(),
                                settings.pinPath());
                    } else {
                        LOG.log(Level.INFO, "initialised SoftHSM token ''{0}'' in {1} (user PIN in {2})",
                                settings.tokenLabel(), settings.directory(), settings.pinPath());
                    }
                }
            }
        }
        if (directory.created() && !created) {
            LOG.log(Level.INFO, SimSettings.flag("dir")
                    + " {0} did not exist: created it (mode 0700); SoftHSM keeps the token"
                    + " ''{1}'' where {2} says", settings.directory(), settings.tokenLabel(), conf);
        }
        SoftHsmInstallation.TokenSlot found = slot.orElseThrow(() -> new KmsException.Misconfigured(
                "SoftHSM did not list token '" + settings.tokenLabel() + "' after initialising it; check " + conf));
        SoftHsmToken token = SoftHsmToken.open(installation, conf, found, directory.userPin());
        try {
            if (token.versions(settings.keyName()).isEmpty()) {
                try (SimDirectory.AdminLock lock = directory.lock()) {
                    if (token.versions(settings.keyName()).isEmpty()) {
                        VersionLabel first = token.generate(settings.keyName(), clock.instant());
                        LOG.log(Level.INFO, "generated key version {0} in token ''{1}'' (key_id {2})", first.ref(),
                                settings.tokenLabel(), first.keyId());
                        created = true;
                    }
                }
            }
        } catch (RuntimeException e) {
            token.close();
            throw e;
        }
        return new SimulatorToken(token, installation, conf, created);
    }

    // Run without the launcher, SOFTHSM2_CONF may still name another configuration: then SoftHSM looked elsewhere.
    private static String elsewhereHint(Path conf, SimSettings settings) {
        Path expected = settings.directory().resolve("softhsm2.conf");
        try {
            if (java.nio.file.Files.exists(expected) && java.nio.file.Files.isSameFile(conf, expected)) {
                return "";
            }
        } catch (java.io.IOException e) {
            // fall through: say where SoftHSM looked
        }
        return " (SoftHSM looked where " + SimDirectory.CONF_ENV + "=" + conf + " points, not at " + expected
                + "; start through bin/kms-plugin, which sets it from " + SimSettings.flag("dir") + ")";
    }
}
