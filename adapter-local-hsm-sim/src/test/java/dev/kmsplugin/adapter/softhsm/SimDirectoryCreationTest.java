package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.testkit.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A --sim-dir that does not exist: serving creates it and says so in one INFO line; read-only commands do not. */
class SimDirectoryCreationTest {

    private LogCapture log;

    @BeforeEach
    void capture() {
        log = new LogCapture(SimulatorToken.class.getName(), false);
    }

    @AfterEach
    void release() {
        log.close();
    }

    private List<String> infoLines() {
        return log.messages(Level.INFO);
    }

    @Test
    void a_missing_sim_dir_is_created_with_its_token_and_one_info_line_says_what_and_where() throws Exception {
        SimSettings settings = SoftHsmFixture.settings("created-kek");
        assertFalse(Files.exists(settings.directory()), "the fixture's directory should not exist yet");
        SimulatorToken opened = SimulatorToken.openOrCreate(settings, SoftHsmFixture.env(), Clock.systemUTC());
        try {
            assertTrue(Files.isDirectory(settings.directory()));
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(settings.directory())));
            List<String> about = infoLines().stream().filter(l -> l.contains(settings.directory().toString()))
                    .toList();
            assertEquals(List.of("--sim-dir " + settings.directory() + " did not exist: created it (mode 0700) with"
                    + " a new SoftHSM token '" + SoftHsmFixture.LABEL + "' (user PIN in " + settings.pinPath()
                    + ")"), about, String.join("\n", infoLines()));
        } finally {
            opened.token().close();
        }
        log.records.clear();
        SimulatorToken again = SimulatorToken.openOrCreate(settings, SoftHsmFixture.env(), Clock.systemUTC());
        again.token().close();
        assertTrue(infoLines().stream().noneMatch(l -> l.contains("did not exist")), String.join("\n", infoLines()));
    }

    @Test
    void a_command_that_reads_a_token_leaves_a_missing_sim_dir_uncreated() {
        Path absent = SoftHsmFixture.SIM_DIR.resolveSibling("absent-" + System.nanoTime());
        SimSettings settings = new SimSettings(absent, SoftHsmFixture.LABEL, "kek", Optional.empty(),
                Optional.empty(), Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(2));
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> SimulatorToken.openExisting(settings, SoftHsmFixture.env(), Clock.systemUTC()));
        assertTrue(error.getMessage().contains("the directory does not exist")
                && error.getMessage().contains("sim init --sim-dir=" + absent), error.getMessage());
        assertFalse(Files.exists(absent), "a read-only open created " + absent);
    }
}
