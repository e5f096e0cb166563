package dev.kmsplugin.ports.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {

    @TempDir
    Path dir;

    @Test
    void a_secret_file_readable_by_others_is_named_with_the_fix_and_never_its_content() throws Exception {
        Path pin = Files.writeString(dir.resolve("pin"), "the-pin-1234\n");
        Files.setPosixFilePermissions(pin, PosixFilePermissions.fromString("rw-r--r--"));
        Optional<String> warning = SecretFiles.exposure(pin, "the PIN file");
        assertTrue(warning.isPresent());
        assertTrue(warning.get().contains("chmod 600 " + pin), warning.get());
        assertFalse(warning.get().contains("the-pin-1234"), warning.get());
    }

    @Test
    void owner_only_files_and_directories_pass() throws Exception {
        Path pin = Files.writeString(dir.resolve("pin"), "x");
        Files.setPosixFilePermissions(pin, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        assertEquals(Optional.empty(), SecretFiles.exposure(pin, "the PIN file"));
        assertEquals(Optional.empty(), SecretFiles.exposure(dir, "the simulator directory"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
        assertTrue(SecretFiles.exposure(dir, "the simulator directory").orElseThrow().contains("chmod 700"));
    }
}
