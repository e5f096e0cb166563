package dev.kmsplugin.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Flag;
import dev.kmsplugin.ports.spi.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationTest {

    private static final List<Flag> FLAGS = List.of(
            Flag.string("backend", "kms.backend", "backend"),
            Flag.integer("healthz-port", "kms.health.port", "port"));

    @TempDir
    Path dir;

    @Test
    void every_modules_reference_conf_provides_defaults() {
        Configuration configuration = Configuration.load(Map.of(), FLAGS, Map.of());
        assertEquals("keyvault", configuration.string("kms.backend"));
        assertEquals(Duration.ofSeconds(10), configuration.settings("kms").duration("shutdown-grace"));
        assertEquals(8787, configuration.settings("kms.health").integer("port"));
    }

    @Test
    void flags_win_over_the_settings_file_which_wins_over_defaults() throws IOException {
        Path file = Files.writeString(dir.resolve("plugin.conf"),
                "kms { backend = hsm-sim, health.port = 9000, shutdown-grace = 3s }\n");
        Configuration configuration = Configuration.load(
                Map.of(Configuration.FILE_PATH, file.toString(), "kms.health.port", "9100"), FLAGS, Map.of());
        assertEquals("hsm-sim", configuration.string("kms.backend"), "file over defaults");
        assertEquals(9100, configuration.settings("kms.health").integer("port"), "flag over file");
        assertEquals(Duration.ofSeconds(3), configuration.settings("kms").duration("shutdown-grace"));
    }

    @Test
    void the_settings_file_may_also_come_from_the_environment() throws IOException {
        Path file = Files.writeString(dir.resolve("plugin.json"), "{\"kms\": {\"backend\": \"hsm-sim\"}}");
        Configuration configuration = Configuration.load(Map.of(), FLAGS,
                Map.of(Configuration.FILE_ENV, file.toString()));
        assertEquals("hsm-sim", configuration.string("kms.backend"));
    }

    @Test
    void a_missing_settings_file_is_a_clear_error() {
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class, () -> Configuration.load(
                Map.of(Configuration.FILE_PATH, dir.resolve("absent.conf").toString()), FLAGS, Map.of()));
        assertTrue(error.getMessage().contains("absent.conf does not exist or cannot be read"), error.getMessage());
    }

    @Test
    void a_value_of_the_wrong_type_is_rejected_at_start_naming_the_path() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.conf"), "kms.health.port = eighty\n");
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class, () -> Configuration.load(
                Map.of(Configuration.FILE_PATH, file.toString()), FLAGS, Map.of()));
        assertTrue(error.getMessage().contains("kms.health.port"), error.getMessage());
    }

    @Test
    void a_missing_setting_names_its_full_path_and_flag() {
        Configuration configuration = Configuration.load(Map.of(), FLAGS, Map.of());
        Settings kms = configuration.settings("kms");
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> configuration.settings("kms.nothing-here").string("value"));
        assertEquals("kms.nothing-here.value is not set", error.getMessage());
        assertEquals("keyvault", kms.string("backend"));
        assertTrue(kms.optionalString("absent").isEmpty());
    }
}
