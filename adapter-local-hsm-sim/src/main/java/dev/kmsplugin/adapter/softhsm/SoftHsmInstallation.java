package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SoftHSM2 installation on this machine: its PKCS#11 library and its {@code softhsm2-util} tool, which is the
 * only way to initialise a token (SunPKCS11 has no C_InitToken).
 */
final class SoftHsmInstallation {

    static final String INSTALL_HINT = "install SoftHSM2 (Debian/Ubuntu: sudo apt-get install softhsm2;"
            + " macOS: brew install softhsm) or point " + SimSettings.flag("library") + " at libsofthsm2.so";

    // Where distributions put the library, most common first.
    private static final List<String> LIBRARY_LOCATIONS = List.of(
            "/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/lib64/pkcs11/libsofthsm2.so",
            "/usr/lib/pkcs11/libsofthsm2.so",
            "/usr/local/lib/softhsm/libsofthsm2.so",
            "/opt/homebrew/lib/softhsm/libsofthsm2.so",
            "/usr/local/opt/softhsm/lib/softhsm/libsofthsm2.so");

    private static final Pattern SLOT = Pattern.compile("^Slot (\\d+)\\s*$");
    private static final Pattern LABEL = Pattern.compile("^\\s+Label:\\s+(.*?)\\s*$");
    private static final Pattern SERIAL = Pattern.compile("^\\s+Serial number:\\s+(\\S*)\\s*$");

    private final Path library;
    private final Path script;

    private SoftHsmInstallation(Path library) {
        this(library, PinPrompts.SCRIPT);
    }

    private SoftHsmInstallation(Path library, Path script) {
        this.library = library;
        this.script = script;
    }

    /** The same installation, with util-linux {@code script} looked for at {@code script}; for tests. */
    SoftHsmInstallation withScript(Path script) {
        return new SoftHsmInstallation(library, script);
    }

    static SoftHsmInstallation find(Optional<String> override) {
        if (override.isPresent()) {
            Path path = Path.of(override.get());
            if (!Files.isReadable(path)) {
                throw new KmsException.Misconfigured("the SoftHSM2 library " + path + " ("
                        + SimSettings.flag("library") + ") does not exist; fix the path, or"
                        + " unset " + SimSettings.flag("library")
                        + " to search the usual locations once SoftHSM2 is installed"
                        + " (Debian/Ubuntu: sudo apt-get install softhsm2; macOS: brew install softhsm)");
            }
            return new SoftHsmInstallation(path);
        }
        return LIBRARY_LOCATIONS.stream().map(Path::of).filter(Files::isReadable).findFirst()
                .map(SoftHsmInstallation::new)
                .orElseThrow(() -> new KmsException.Misconfigured("SoftHSM2 is not installed: no libsofthsm2.so in "
                        + LIBRARY_LOCATIONS + "; " + INSTALL_HINT));
    }

    Path library() {
        return library;
    }

    /** A token as {@code softhsm2-util --show-slots} lists it. */
    record TokenSlot(long slot, String label, String serial) {
    }

    /** The initialised tokens visible through {@code conf}. */
    List<TokenSlot> tokens(Path conf) {
        List<TokenSlot> tokens = new ArrayList<>();
        long slot = -1;
        String serial = "";
        for (String line : run(conf, List.of("--show-slots")).lines().toList()) {
            Matcher m = SLOT.matcher(line);
            if (m.matches()) {
                slot = Long.parseLong(m.group(1));
                serial = "";
                continue;
            }
            m = SERIAL.matcher(line);
            if (m.matches()) {
                serial = m.group(1);
                continue;
            }
            m = LABEL.matcher(line);
            if (m.matches() && slot >= 0 && !m.group(1).isEmpty()) {
                tokens.add(new TokenSlot(slot, m.group(1), serial));
            }
        }
        return tokens;
    }

    Optional<TokenSlot> token(Path conf, String label) {
        return tokens(conf).stream().filter(t -> t.label().equals(label)).findFirst();
    }

    /**
     * Initialises a free token. The PINs are typed at softhsm2-util's prompts through util-linux {@code script};
     * without it they could only go on the tool's command line, which every local user can read in
     * {@code /proc/<pid>/cmdline}, so that happens only when {@code allowPinsInArgv} says the operator accepts it.
     */
    void initToken(Path conf, String label, String soPin, String userPin, boolean allowPinsInArgv) {
        if (PinPrompts.available(script)) {
            PinPrompts.initToken(script, tool(), conf, label, soPin, userPin);
            return;
        }
        if (!allowPinsInArgv) {
            throw new KmsException.Misconfigured("cannot initialise SoftHSM token '" + label + "' safely: util-linux"
                    + " 'script' (" + script + ") is missing, and without it softhsm2-util would get the new PINs as"
                    + " arguments, readable by every user of this machine in /proc/<pid>/cmdline. Install it"
                    + " (Debian/Ubuntu: sudo apt-get install util-linux; Fedora/RHEL: sudo dnf install util-linux),"
                    + " or pass " + SimSettings.flag("allow-pins-in-argv")
                    + " if no other user can run processes on this machine");
        }
        System.getLogger(SoftHsmInstallation.class.getName()).log(System.Logger.Level.WARNING, "util-linux 'script' is "
                + "missing and " + SimSettings.flag("allow-pins-in-argv")
                + " is set: the new token's PINs are passed to softhsm2-util as"
                + " arguments, which other users of this machine can read while it runs");
        run(conf, List.of("--init-token", "--free", "--label", label, "--so-pin", soPin, "--pin", userPin));
    }

    private String run(Path conf, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(tool());
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("SOFTHSM2_CONF", conf.toString());
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new KmsException.BackendUnavailable("softhsm2-util did not finish within 30 s");
            }
            if (process.exitValue() != 0) {
                // The output never holds a PIN: softhsm2-util does not echo its arguments.
                throw new KmsException.Misconfigured("softhsm2-util " + arguments.get(0) + " failed: "
                        + Messages.oneLine(output));
            }
            return output;
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot run softhsm2-util (" + e.getMessage() + "); "
                    + INSTALL_HINT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsException.BackendUnavailable("interrupted while running softhsm2-util");
        }
    }

    // softhsm2-util sits in bin/ beside the library's lib/ on most installs, else on PATH.
    private String tool() {
        Path prefix = library.getParent() == null ? null : library.getParent().getParent();
        for (Path candidate : new Path[] {
            prefix == null ? null : prefix.resolveSibling("bin").resolve("softhsm2-util"),
            Path.of("/usr/bin/softhsm2-util"), Path.of("/usr/local/bin/softhsm2-util"),
            Path.of("/opt/homebrew/bin/softhsm2-util")}) {
            if (candidate != null && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return "softhsm2-util";
    }
}
