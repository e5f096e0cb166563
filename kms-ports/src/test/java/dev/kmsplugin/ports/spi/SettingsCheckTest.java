package dev.kmsplugin.ports.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.testkit.MapSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsCheckTest {

    private final List<Flag> flags = List.of(Flag.duration("probe", "kms.demo.probe-interval", "how often"));

    @Test
    void collects_every_problem_and_names_each_by_its_flag_and_path() {
        SettingsCheck check = new SettingsCheck(new MapSettings("kms.demo", Map.of("probe-interval", "0s",
                "grace", Duration.ofSeconds(-5))), "kms.demo", flags);
        assertEquals(Duration.ofSeconds(1), check.positive("probe-interval"), "reading goes on with a stand-in");
        assertEquals(Duration.ZERO, check.nonNegative("grace"));
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class, () -> check.done("x"));
        assertEquals("--probe (kms.demo.probe-interval) must be positive; kms.demo.grace must not be negative",
                error.getMessage());
    }

    @Test
    void returns_the_result_when_nothing_is_wrong() {
        SettingsCheck check = new SettingsCheck(new MapSettings("kms.demo", Map.of("probe-interval", "30s")),
                "kms.demo", flags);
        assertEquals(Duration.ofSeconds(30), check.positive("probe-interval"));
        assertEquals("ok", check.done("ok"));
    }
}
