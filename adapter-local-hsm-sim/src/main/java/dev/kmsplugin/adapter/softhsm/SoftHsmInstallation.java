package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Where SoftHSM2 is installed: its PKCS#11 library and its token tool, found in the usual places or as configured. */
record SoftHsmInstallation(Path library, Path util) {

    static final String INSTALL_HINT = "install SoftHSM2 (Debian/Ubuntu: apt-get install softhsm2; macOS: brew install softhsm)";

    /** Debian and Ubuntu (both layouts), source builds, Homebrew on Apple silicon, Intel macOS and Linux. */
    static final List<Path> LIBRARY_PLACES = List.of(
            Path.of("/usr/lib/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"),
            Path.of("/usr/lib64/softhsm/libsofthsm2.so"),
            Path.of("/usr/local/lib/softhsm/libsofthsm2.so"),
            Path.of("/opt/homebrew/lib/softhsm/libsofthsm2.so"),
            Path.of("/usr/local/opt/softhsm/lib/softhsm/libsofthsm2.so"),
            Path.of("/home/linuxbrew/.linuxbrew/lib/softhsm/libsofthsm2.so"));

    static final List<Path> UTIL_PLACES = List.of(
            Path.of("/usr/bin/softhsm2-util"),
            Path.of("/usr/local/bin/softhsm2-util"),
            Path.of("/opt/homebrew/bin/softhsm2-util"),
            Path.of("/home/linuxbrew/.linuxbrew/bin/softhsm2-util"));

    static SoftHsmInstallation find(SimSettings settings) {
        return new SoftHsmInstallation(library(settings.library()), util(settings.softhsmUtil()));
    }

    static Path library(Optional<Path> configured) {
        if (configured.isPresent()) {
            Path path = configured.get();
            if (!Files.isReadable(path)) {
                throw new KmsException.Misconfigured("the SoftHSM2 library " + path + " (kms.hsm-sim.library, flag "
                        + "--sim-library) does not exist or cannot be read; " + INSTALL_HINT + " or fix the path");
            }
            return path;
        }
        return LIBRARY_PLACES.stream().filter(Files::isReadable).findFirst()
                .orElseThrow(() -> new KmsException.Misconfigured("the SoftHSM2 library libsofthsm2.so was not found "
                        + "in " + LIBRARY_PLACES + "; " + INSTALL_HINT + ", or pass --sim-library=PATH"));
    }

    static Path util(Optional<Path> configured) {
        if (configured.isPresent()) {
            Path path = configured.get();
            if (!Files.isExecutable(path)) {
                throw new KmsException.Misconfigured("softhsm2-util at " + path + " (kms.hsm-sim.softhsm2-util) is "
                        + "missing or not executable; " + INSTALL_HINT + " or fix the path");
            }
            return path;
        }
        List<Path> places = new ArrayList<>();
        String pathVariable = System.getenv("PATH");
        if (pathVariable != null) {
            for (String dir : pathVariable.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    places.add(Path.of(dir, "softhsm2-util"));
                }
            }
        }
        places.addAll(UTIL_PLACES);
        return places.stream().filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new KmsException.Misconfigured("softhsm2-util was not found on PATH nor in "
                        + UTIL_PLACES + "; " + INSTALL_HINT));
    }
}
