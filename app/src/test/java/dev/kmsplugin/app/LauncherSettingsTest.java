package dev.kmsplugin.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.ports.spi.ExitCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The launcher's own settings are read like every plugin's: a bad value exits 2 naming its flag. */
class LauncherSettingsTest {

    @Test
    void an_unknown_metrics_backend_exits_2_naming_the_flag_before_anything_is_served() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Launcher(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of())
                .run(new String[] {"--metrics-backend=graphite\u001b[2J"});
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(ExitCode.USAGE.code(), code, message);
        assertTrue(message.contains("--metrics-backend is 'graphite"), message);
        assertTrue(message.contains("expected prometheus or none"), message);
        assertTrue(!message.contains("\u001b"), "the value is sanitised: " + message);
    }
}
