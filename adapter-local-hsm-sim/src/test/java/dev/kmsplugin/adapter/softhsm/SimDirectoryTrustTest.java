package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another user must not be able to own, write to, or swap files in the simulator directory: that user could run a
 * plugin on the same token and decrypt, or hand this plugin their own token. Each case is refused on open, before
 * any PIN is read. Runs in a JVM of its own (see the fixture).
 */
class SimDirectoryTrustTest {

    private static final String PIN = "pin-" + java.util.UUID.randomUUID();

    private static SimSettings settingsAt(Path dir) {
        return new SimSettings(dir, SoftHsmFixture.LABEL, "kek", Optional.empty(), Optional.empty(),
                Duration.ofHours(1), Duration.ofHours(1), Duration.ofMinutes(2));
    }

    private static Path simDir(Path parent) throws Exception {
        Path dir = Files.createDirectory(parent.resolve("sim"));
        Files.setAttribute(dir, "unix:mode", 0700);
        Files.writeString(dir.resolve("user.pin"), PIN + "\n");
        Files.setAttribute(dir.resolve("user.pin"), "unix:mode", 0600);
        return dir;
    }

    private static KmsException.Misconfigured refusal(Path dir) {
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                () -> SimulatorToken.openOrCreate(settingsAt(dir), SoftHsmFixture.env(), Clock.systemUTC()));
        assertFalse(error.getMessage().contains(PIN), "a PIN never appears in a message");
        return error;
    }

    private static void requireRoot() throws Exception {
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        assertEquals(0, self, "this test gives a directory to another uid, which needs root; CI runs the tests as root");
    }

    @Test
    void a_directory_of_another_user_is_refused_even_when_private(@TempDir Path parent) throws Exception {
        requireRoot();
        Path dir = simDir(parent);
        Files.setAttribute(dir, "unix:uid", 4242);
        Files.setAttribute(dir.resolve("user.pin"), "unix:uid", 4242);
        String message = refusal(dir).getMessage();
        assertTrue(message.startsWith("the simulator directory " + dir + " is owned by uid 4242, not by this plugin's"
                + " uid 0 or root"), message);
        assertTrue(message.contains("chown -R 0 " + dir), message);
    }

    @Test
    void a_token_directory_of_another_user_is_refused(@TempDir Path parent) throws Exception {
        requireRoot();
        Path dir = simDir(parent);
        Path tokens = Files.createDirectory(dir.resolve("tokens"));
        Files.setAttribute(tokens, "unix:mode", 0700);
        Files.setAttribute(tokens, "unix:uid", 4242);
        String message = refusal(dir).getMessage();
        assertTrue(message.startsWith("the simulator's token directory " + tokens + " is owned by uid 4242"), message);
    }

    @Test
    void a_group_writable_directory_is_refused(@TempDir Path parent) throws Exception {
        Path dir = simDir(parent);
        Files.setAttribute(dir, "unix:mode", 0770);
        String message = refusal(dir).getMessage();
        assertTrue(message.startsWith("the simulator directory " + dir + " is writable by group or others (mode 0770)"),
                message);
        assertTrue(message.contains("chmod 700 " + dir), message);
    }

    @Test
    void a_sticky_world_writable_directory_is_refused_too(@TempDir Path parent) throws Exception {
        Path dir = simDir(parent);
        Files.setAttribute(dir, "unix:mode", 01777);
        assertTrue(refusal(dir).getMessage().contains("writable by group or others (mode 1777)"));
    }

    @Test
    void a_symlinked_pin_file_is_refused(@TempDir Path parent) throws Exception {
        Path dir = simDir(parent);
        Path elsewhere = Files.writeString(parent.resolve("their.pin"), "their-pin-1234\n");
        Files.delete(dir.resolve("user.pin"));
        Files.createSymbolicLink(dir.resolve("user.pin"), elsewhere);
        String message = refusal(dir).getMessage();
        assertTrue(message.startsWith("the simulator's user.pin " + dir.resolve("user.pin") + " is a symbolic link"),
                message);
        assertFalse(message.contains("their-pin-1234"), "the link's target is never read into a message");
    }

    @Test
    void a_symlinked_conf_or_token_directory_is_refused(@TempDir Path parent) throws Exception {
        Path dir = simDir(parent);
        Files.createSymbolicLink(dir.resolve("tokens"), Files.createDirectory(parent.resolve("their-tokens")));
        assertTrue(refusal(dir).getMessage().startsWith("the simulator's tokens " + dir.resolve("tokens")
                + " is a symbolic link"));
        Files.delete(dir.resolve("tokens"));
        Files.createSymbolicLink(dir.resolve("softhsm2.conf"), SoftHsmFixture.CONF);
        assertTrue(refusal(dir).getMessage().startsWith("the simulator's softhsm2.conf "));
    }

    @Test
    void a_symlink_as_the_directory_itself_is_refused(@TempDir Path parent) throws Exception {
        Path real = simDir(parent);
        Path link = Files.createSymbolicLink(parent.resolve("link"), real);
        String message = refusal(link).getMessage();
        assertTrue(message.startsWith("the simulator directory " + link + " is a symbolic link"), message);
        assertTrue(message.contains("(" + real.toRealPath() + ")"), message);
    }

    @Test
    void a_private_directory_of_this_user_is_used(@TempDir Path parent) throws Exception {
        Path dir = simDir(parent);
        SimDirectory directory = new SimDirectory(settingsAt(dir), SoftHsmFixture.env());
        directory.prepareConf();
        assertEquals(PIN, directory.userPin());
        directory.lock().close();
    }
}
