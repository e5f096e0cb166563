package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A wrong PIN, in a process that has not logged in yet: PKCS#11 login state belongs to the whole process, so this
 * class creates its token with softhsm2-util and tries the wrong PIN before anything else logs in.
 */
class WrongPinTest {

    static SimFixture fixture;

    @BeforeAll
    static void createTokenOutsideThisProcess() throws Exception {
        fixture = SimFixture.create(WrongPinTest.class);
        SimSettings settings = fixture.simSettings();
        SimDirectory directory = new SimDirectory(settings.simDir());
        directory.prepare();
        directory.initToken(SoftHsmInstallation.find(settings), settings.tokenLabel(), directory.soPin(),
                directory.generatePin(SimDirectory.USER_PIN));
    }

    @AfterAll
    static void remove() throws Exception {
        fixture.close();
    }

    @Test
    void a_wrong_pin_is_access_denied_naming_its_source_but_not_the_pin() throws Exception {
        Path wrong = fixture.dir.resolve("wrong.pin");
        Files.writeString(wrong, "not-the-pin\n");
        KmsException e = assertThrows(KmsException.AccessDenied.class, () -> SoftHsmKekBackend.start(
                fixture.simSettings("pin-file", wrong.toString()), fixture.env, Telemetry.none(), Clock.systemUTC()));
        assertTrue(e.getMessage().contains("wrong PIN") && e.getMessage().contains(wrong.toString()), e.getMessage());
        assertTrue(!e.getMessage().contains("not-the-pin"), "the PIN itself must never be printed: " + e.getMessage());

        try (SoftHsmKekBackend backend = SoftHsmKekBackend.start(fixture.simSettings(), fixture.env, Telemetry.none(),
                Clock.systemUTC())) {
            assertEquals("1", backend.currentKey().version(), "the right PIN then opens the token and creates version 1");
        }
    }
}
