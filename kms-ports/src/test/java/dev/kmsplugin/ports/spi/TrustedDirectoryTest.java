package dev.kmsplugin.ports.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustedDirectoryTest {

    @TempDir
    Path parent;

    private Path directory(int mode) throws Exception {
        Path dir = Files.createDirectory(parent.resolve("d"));
        Files.setAttribute(dir, "unix:mode", mode);
        return dir;
    }

    private static String refusal(Path dir) {
        return assertThrows(KmsException.Misconfigured.class,
                () -> TrustedDirectory.requireTrusted(dir, "the test directory", "--test-dir")).getMessage();
    }

    @Test
    void a_private_or_world_readable_directory_of_this_user_is_trusted() throws Exception {
        Path dir = directory(0755);
        assertEquals(Optional.empty(), TrustedDirectory.doubt(dir));
        TrustedDirectory.requireTrusted(dir, "the test directory", "--test-dir");
    }

    @Test
    void group_or_other_write_is_refused_sticky_or_not() throws Exception {
        Path dir = directory(0720);
        assertEquals("the test directory " + dir + " is writable by group or others (mode 0720); they can replace what"
                + " the plugin reads there. Run 'chmod 700 " + dir + "', or use another directory (--test-dir)",
                refusal(dir));
        Files.setAttribute(dir, "unix:mode", 01777);
        assertTrue(refusal(dir).contains("(mode 1777)"));
    }

    @Test
    void another_owner_is_refused() throws Exception {
        assertEquals(0, TrustedDirectory.currentUid(), "giving a directory to another uid needs root; CI runs as root");
        Path dir = directory(0700);
        Files.setAttribute(dir, "unix:uid", 4242);
        assertEquals(Optional.of(new TrustedDirectory.ForeignOwner(dir, 4242, 0)), TrustedDirectory.doubt(dir));
        assertTrue(refusal(dir).startsWith("the test directory " + dir + " is owned by uid 4242, not by this plugin's"
                + " uid 0 or root"));
    }

    @Test
    void a_symbolic_link_is_refused_though_its_target_is_fine() throws Exception {
        Path target = directory(0700);
        Path link = Files.createSymbolicLink(parent.resolve("link"), target);
        assertEquals(Optional.of(new TrustedDirectory.SymbolicLink(link)), TrustedDirectory.doubt(link));
        assertTrue(refusal(link).startsWith("the test directory " + link + " is a symbolic link"));
        Path file = Files.createSymbolicLink(target.resolve("pin"), parent.resolve("elsewhere"));
        assertTrue(assertThrows(KmsException.Misconfigured.class, () -> TrustedDirectory.requireNotSymbolicLink(file,
                "the PIN file", "--pin-file")).getMessage().startsWith("the PIN file " + file + " is a symbolic link"));
        TrustedDirectory.requireNotSymbolicLink(target.resolve("absent"), "the PIN file", "--pin-file");
    }

    @Test
    void a_file_or_a_missing_path_is_no_directory() throws Exception {
        Path file = Files.createFile(parent.resolve("f"));
        Files.setAttribute(file, "unix:mode", 0600);
        assertTrue(refusal(file).endsWith("is not a directory; set --test-dir to a directory"));
        assertTrue(refusal(parent.resolve("absent")).endsWith("does not exist (--test-dir)"));
    }
}
