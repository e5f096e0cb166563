package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Operator mistakes get a message that says what to do. Runs in a JVM of its own (see the fixture). */
class SimErrorsTest {

    @Test
    void a_wrong_pin_is_named_as_such() throws Exception {
        SimSettings settings = SoftHsmFixture.settings("kek");
        SimDirectory directory = new SimDirectory(settings, SoftHsmFixture.env());
        Path conf = directory.prepareConf();
        SoftHsmInstallation installation = SoftHsmInstallation.find(Optional.empty());
        // initialise through softhsm2-util only, so no login with the right PIN happened in this process
        installation.initToken(conf, settings.tokenLabel(), "so-pin-1234", "right-pin-1234", false);
        Files.writeString(settings.pinPath(), "wrong-pin-9999\n");
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> SimulatorToken.openExisting(settings, SoftHsmFixture.env(), Clock.systemUTC()));
        assertTrue(error.getMessage().startsWith("the user PIN is wrong for SoftHSM token 'test-token'"),
                error.getMessage());
        assertTrue(!error.getMessage().contains("wrong-pin-9999"), "a PIN never appears in a message");
    }

    @Test
    void pins_never_appear_on_a_command_line_while_the_token_is_initialised() throws Exception {
        SimSettings settings = SoftHsmFixture.settings("kek");
        Path conf = new SimDirectory(settings, SoftHsmFixture.env()).prepareConf();
        SoftHsmInstallation installation = SoftHsmInstallation.find(Optional.empty());
        String soPin = "so-" + java.util.UUID.randomUUID();
        String userPin = "user-" + java.util.UUID.randomUUID();
        java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger sweeps = new java.util.concurrent.atomic.AtomicInteger();
        // What every local user can do: read the arguments of every process, as often as it likes.
        Thread watcher = new Thread(() -> {
            while (!done.get()) {
                try (var processes = Files.list(Path.of("/proc"))) {
                    processes.filter(p -> p.getFileName().toString().matches("[0-9]+")).forEach(p -> {
                        try {
                            String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")),
                                    java.nio.charset.StandardCharsets.UTF_8);
                            if (cmdline.contains(soPin) || cmdline.contains(userPin)) {
                                seen.add(cmdline.replace('\0', ' '));
                            }
                        } catch (java.io.IOException | RuntimeException gone) {
                            // the process ended meanwhile
                        }
                    });
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                sweeps.incrementAndGet();
            }
        });
        watcher.start();
        try {
            installation.initToken(conf, "cmdline-check", soPin, userPin, false);
        } finally {
            done.set(true);
            watcher.join();
        }
        assertTrue(installation.token(conf, "cmdline-check").isPresent(), "the token was not initialised");
        assertTrue(sweeps.get() > 1, "the watcher did not look while the tool ran");
        assertTrue(seen.isEmpty(), "a PIN was readable in /proc/<pid>/cmdline: " + seen.size() + " time(s)");
    }

    @Test
    void without_script_the_pins_are_refused_a_command_line_unless_the_operator_allows_it() {
        SimSettings settings = SoftHsmFixture.settings("kek");
        Path conf = new SimDirectory(settings, SoftHsmFixture.env()).prepareConf();
        SoftHsmInstallation withoutScript = SoftHsmInstallation.find(Optional.empty())
                .withScript(Path.of("/nowhere/bin/script"));
        String soPin = "so-" + java.util.UUID.randomUUID();
        String userPin = "user-" + java.util.UUID.randomUUID();
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> withoutScript.initToken(conf, "argv-refused", soPin, userPin, false));
        assertTrue(error.getMessage().contains("util-linux 'script' (/nowhere/bin/script) is missing"),
                error.getMessage());
        assertTrue(error.getMessage().contains("apt-get install util-linux"), error.getMessage());
        assertTrue(error.getMessage().contains("--allow-pins-in-argv"), error.getMessage());
        assertTrue(!error.getMessage().contains(soPin) && !error.getMessage().contains(userPin),
                "a PIN never appears in a message");
        assertTrue(withoutScript.token(conf, "argv-refused").isEmpty(), "no token was created");

        withoutScript.initToken(conf, "argv-allowed", soPin, userPin, true);
        assertTrue(withoutScript.token(conf, "argv-allowed").isPresent(), "with the flag the old path still works");
    }

    @Test
    void allow_pins_in_argv_is_off_unless_set() {
        Map<String, String> values = new java.util.HashMap<>(Map.of("dir", SoftHsmFixture.SIM_DIR.toString(),
                "key-name", "kek", "token-label", "kms-plugin", "refresh-interval", "PT30S",
                "probe-interval", "PT30S", "health-grace", "PT2M"));
        assertTrue(!SimSettings.from(SoftHsmFixture.settingsView(values)).allowPinsInArgv());
        values.put("allow-pins-in-argv", "true");
        assertTrue(SimSettings.from(SoftHsmFixture.settingsView(values)).allowPinsInArgv());
        assertTrue(SimSettings.flags().stream().anyMatch(f -> f.name().equals("allow-pins-in-argv")));
    }

    @Test
    void a_directory_without_a_token_says_how_to_create_one() {
        SimSettings settings = new SimSettings(SoftHsmFixture.SIM_DIR, "no-such-token", "kek", Optional.empty(),
                Optional.empty(), java.time.Duration.ofHours(1), java.time.Duration.ofHours(1),
                java.time.Duration.ofMinutes(1));
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> SimulatorToken.openExisting(settings, SoftHsmFixture.env(), Clock.systemUTC()));
        assertTrue(error.getMessage().contains("there is no SoftHSM token 'no-such-token'"), error.getMessage());
        assertTrue(error.getMessage().contains("kms-plugin sim init --sim-dir="), error.getMessage());
        assertTrue(error.getMessage().contains("(SoftHSM looked where SOFTHSM2_CONF="), "the fixture's SOFTHSM2_CONF is"
                + " outside the simulator directory, so the message must say where SoftHSM looked: " + error.getMessage());
    }

    @Test
    void a_locked_directory_is_refused_while_the_lock_is_held() {
        SimDirectory directory = new SimDirectory(SoftHsmFixture.settings("kek"), SoftHsmFixture.env());
        try (SimDirectory.AdminLock held = directory.lock()) {
            KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class, directory::lock);
            assertTrue(error.getMessage().endsWith("is locked by another kms-plugin sim command;"
                    + " wait for it to finish and try again"), error.getMessage());
        }
        directory.lock().close();
    }

    @Test
    void a_missing_library_names_the_package_to_install() {
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> SoftHsmInstallation.find(Optional.of("/nowhere/libsofthsm2.so")));
        assertTrue(error.getMessage().startsWith("the SoftHSM2 library /nowhere/libsofthsm2.so (--sim-library) does not"
                + " exist; fix the path") && error.getMessage().contains("apt-get install softhsm2"), error.getMessage());
        assertTrue(SoftHsmInstallation.INSTALL_HINT.contains("apt-get install softhsm2"));
    }

    @Test
    void without_softhsm2_conf_the_message_explains_the_launcher() {
        SimDirectory directory = new SimDirectory(SoftHsmFixture.settings("kek"), Map.of());
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class, directory::prepareConf);
        assertTrue(error.getMessage().startsWith("SOFTHSM2_CONF is not set"), error.getMessage());
        assertTrue(error.getMessage().contains("bin/kms-plugin"), error.getMessage());
    }

    @Test
    void a_missing_pin_file_says_how_to_create_one_and_generated_pins_are_private(@org.junit.jupiter.api.io.TempDir
            Path dir) throws Exception {
        SimSettings settings = new SimSettings(dir, "t", "kek", Optional.empty(), Optional.empty(),
                java.time.Duration.ofHours(1), java.time.Duration.ofHours(1), java.time.Duration.ofMinutes(1));
        SimDirectory directory = new SimDirectory(settings, SoftHsmFixture.env());
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class, directory::userPin);
        assertTrue(error.getMessage().contains("run 'kms-plugin sim init --sim-dir="), error.getMessage());
        String pin = directory.userPinCreatingIfAbsent();
        assertEquals(24, pin.length());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(settings.pinPath())));
        assertEquals(pin, directory.userPinCreatingIfAbsent(), "an existing PIN is kept");
        assertEquals("from-env", new SimDirectory(settings,
                Map.of(SimDirectory.PIN_ENV, "from-env")).userPin(), "KMS_SIM_PIN wins over the file");
    }

    @Test
    void a_refresh_interval_above_a_minute_is_refused_because_rotation_must_reach_servers_within_one() {
        Map<String, String> values = new java.util.HashMap<>(Map.of("dir", SoftHsmFixture.SIM_DIR.toString(),
                "key-name", "kek", "token-label", "kms-plugin", "refresh-interval", "PT60S",
                "probe-interval", "PT30S", "health-grace", "PT2M"));
        assertEquals(java.time.Duration.ofSeconds(60),
                SimSettings.from(SoftHsmFixture.settingsView(values)).refreshInterval());
        values.put("refresh-interval", "PT2M");
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> SimSettings.from(SoftHsmFixture.settingsView(values)));
        assertTrue(error.getMessage().contains("at most 60s") && error.getMessage().contains("--sim-refresh-interval"),
                error.getMessage());
    }

    @Test
    void every_bad_setting_is_named_in_one_error_with_its_flag() {
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> SimSettings.from(SoftHsmFixture.settingsView(Map.of("dir", "", "key-name", "no spaces",
                        "token-label", "x".repeat(40), "refresh-interval", "5m", "probe-interval", "0s"))));
        for (String named : List.of("--sim-dir", "--sim-key-name", "--sim-token-label", "--sim-refresh-interval",
                "--sim-probe-interval")) {
            assertTrue(error.getMessage().contains(named), named + " is not named: " + error.getMessage());
        }
    }
}
