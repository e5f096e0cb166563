package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The simulator directory and its fixed layout:
 * <pre>
 * DIR/softhsm2.conf   SoftHSM configuration; its directories.tokendir is DIR/tokens
 * DIR/tokens/         SoftHSM's token files
 * DIR/user.pin        the user PIN, mode 0600, when the simulator generated it
 * DIR/so.pin          the security officer PIN, mode 0600 (only softhsm2-util needs it)
 * DIR/.lock           held while a token or key version is being created
 * </pre>
 */
final class SimDirectory {

    static final String CONF_ENV = "SOFTHSM2_CONF";
    static final String CONF = "softhsm2.conf";
    static final String TOKENS = "tokens";
    static final String USER_PIN = "user.pin";
    static final String SO_PIN = "so.pin";
    static final String LOCK = ".lock";

    private static final Logger LOG = System.getLogger(SimDirectory.class.getName());
    private static final Pattern TOKENDIR = Pattern.compile("(?m)^\\s*directories\\.tokendir\\s*=\\s*(.+?)\\s*$");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
    private static final char[] PIN_ALPHABET =
            "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".toCharArray();

    private final Path dir;

    SimDirectory(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path path() {
        return dir;
    }

    Path conf() {
        return dir.resolve(CONF);
    }

    /** Creates the directory, its token directory and its softhsm2.conf when missing; keeps an existing conf. */
    void prepare() {
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new KmsException.Misconfigured("--sim-dir=" + dir + " is a file, not a directory");
            }
            createPrivateDirectory(dir);
            createPrivateDirectory(dir.resolve(TOKENS));
            if (!Files.exists(conf())) {
                // file backend: one file per object, readable by `softhsm2-util --show-slots`; ERROR keeps syslog quiet.
                String text = "# Written by kms-plugin for the simulator directory " + dir + "\n"
                        + "directories.tokendir = " + dir.resolve(TOKENS) + "\n"
                        + "objectstore.backend = file\n"
                        + "log.level = ERROR\n"
                        + "slots.removable = false\n";
                Files.writeString(conf(), text, StandardCharsets.UTF_8);
            }
            if (!Files.isWritable(dir.resolve(TOKENS))) {
                throw new AccessDeniedException(dir.resolve(TOKENS).toString());
            }
        } catch (AccessDeniedException e) {
            throw new KmsException.Misconfigured("cannot use the simulator directory " + dir + ": permission denied on "
                    + e.getFile() + "; run as the user who owns it, or choose another --sim-dir", e);
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot prepare the simulator directory " + dir + ": " + e, e);
        }
    }

    /** The token directory DIR/softhsm2.conf names (DIR/tokens unless an operator edited it). */
    Path tokenDirectory() {
        return tokenDirectoryOf(conf());
    }

    /**
     * SoftHSM reads {@code SOFTHSM2_CONF} once, when its library initialises, and a JVM cannot change its own
     * environment: so the variable must already point at this directory's token directory.
     */
    void checkEnvironment(Map<String, String> env) {
        String value = env.get(CONF_ENV);
        String fix = "start the plugin with bin/kms-plugin, which sets it from --sim-dir, or export "
                + CONF_ENV + "=" + conf();
        if (value == null || value.isBlank()) {
            throw new KmsException.Misconfigured(CONF_ENV + " is not set, so SoftHSM would not find the token in "
                    + dir + " (SoftHSM reads the variable when its library loads, before the plugin could set it); "
                    + fix);
        }
        Path named = Path.of(value).toAbsolutePath();
        if (!Files.isReadable(named)) {
            throw new KmsException.Misconfigured(CONF_ENV + "=" + value + " does not exist or cannot be read; " + fix);
        }
        Path theirs = tokenDirectoryOf(named);
        Path ours = tokenDirectory();
        if (!sameDirectory(theirs, ours)) {
            throw new KmsException.Misconfigured(CONF_ENV + "=" + value + " points SoftHSM at the token directory "
                    + theirs + ", but --sim-dir=" + dir + " keeps its tokens in " + ours + "; " + fix);
        }
    }

    /** Holds {@code DIR/.lock} so that two processes never create a token or a key version at the same time. */
    FileLock lock() {
        try {
            FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new KmsException.BackendUnavailable("the simulator directory " + dir + " is locked by another "
                        + "kms-plugin command that is creating a token or a key version; wait for it to finish and "
                        + "try again");
            }
            return lock;
        } catch (AccessDeniedException e) {
            throw new KmsException.Misconfigured("cannot lock the simulator directory " + dir + ": permission denied; "
                    + "run as the user who owns it", e);
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot lock the simulator directory " + dir + ": " + e, e);
        }
    }

    /** The user PIN, from the first source that has one. */
    Optional<Pin> pin(SimSettings settings, Map<String, String> env) {
        if (settings.pinFile().isPresent()) {
            return Optional.of(readPin(settings.pinFile().get(), "the PIN file " + settings.pinFile().get()));
        }
        String fromEnv = env.get(settings.pinEnv());
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return Optional.of(new Pin(fromEnv.toCharArray(), "the environment variable " + settings.pinEnv()));
        }
        Path stored = dir.resolve(USER_PIN);
        if (Files.exists(stored)) {
            return Optional.of(readPin(stored, "the PIN file " + stored));
        }
        return Optional.empty();
    }

    /** The security officer PIN: the stored one, or a new one stored readable by the owner only. */
    Pin soPin() {
        Path stored = dir.resolve(SO_PIN);
        return Files.exists(stored) ? readPin(stored, "the PIN file " + stored) : generatePin(SO_PIN);
    }

    /** Generates a PIN and stores it readable by the owner only; fails if the file already exists. */
    Pin generatePin(String name) {
        Path file = dir.resolve(name);
        SecureRandom random = new SecureRandom();
        char[] pin = new char[24];
        for (int i = 0; i < pin.length; i++) {
            pin[i] = PIN_ALPHABET[random.nextInt(PIN_ALPHABET.length)];
        }
        byte[] bytes = new String(pin).getBytes(StandardCharsets.US_ASCII);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.write(file, bytes, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (FileAlreadyExistsException e) {
            throw new KmsException.Misconfigured(file + " already exists but the token does not: it belongs to an "
                    + "earlier token; remove it, or point --sim-pin-file at the PIN you want", e);
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot write the PIN file " + file + ": " + e, e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
        return new Pin(pin, "the PIN file " + file);
    }

    /** The slot in which SoftHSM shows the token labelled {@code label}, if this directory holds one. */
    Optional<Long> slotOf(SoftHsmInstallation softhsm, String label) {
        String out = runUtil(softhsm, List.of("--show-slots"), "list the tokens");
        Long slot = null;
        Pattern slotLine = Pattern.compile("^Slot (\\d+)\\s*$");
        Pattern labelLine = Pattern.compile("^\\s*Label:\\s*(.*?)\\s*$");
        for (String line : out.split("\n")) {
            Matcher m = slotLine.matcher(line);
            if (m.matches()) {
                slot = Long.parseLong(m.group(1));
                continue;
            }
            Matcher l = labelLine.matcher(line);
            if (l.matches() && slot != null && l.group(1).equals(label)) {
                return Optional.of(slot);
            }
        }
        return Optional.empty();
    }

    /**
     * Creates the token with softhsm2-util (SunPKCS11 cannot initialise a token). The tool takes the PINs as
     * arguments: they are visible in the process list for the few milliseconds it runs, acceptable for a simulator.
     */
    void initToken(SoftHsmInstallation softhsm, String label, Pin soPin, Pin userPin) {
        List<String> args = new ArrayList<>(List.of("--init-token", "--free", "--label", label,
                "--so-pin", new String(soPin.value()), "--pin", new String(userPin.value())));
        runUtil(softhsm, args, "create the token '" + label + "'");
    }

    private String runUtil(SoftHsmInstallation softhsm, List<String> args, String purpose) {
        List<String> command = new ArrayList<>();
        command.add(softhsm.util().toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put(CONF_ENV, conf().toString());
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new KmsException.BackendUnavailable("softhsm2-util did not " + purpose + " within 30 s");
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new KmsException.BackendUnavailable("softhsm2-util could not " + purpose + " in " + dir
                        + " (exit " + process.exitValue() + "): " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot run " + softhsm.util() + ": " + e.getMessage() + "; "
                    + SoftHsmInstallation.INSTALL_HINT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsException.BackendUnavailable("interrupted while waiting for softhsm2-util", e);
        }
    }

    private static Pin readPin(Path file, String source) {
        try {
            warnIfOthersCanRead(file);
            byte[] bytes = Files.readAllBytes(file);
            String text = new String(bytes, StandardCharsets.UTF_8).strip();
            Arrays.fill(bytes, (byte) 0);
            if (text.isEmpty()) {
                throw new KmsException.Misconfigured(source + " is empty; it must hold the token's user PIN");
            }
            return new Pin(text.toCharArray(), source);
        } catch (AccessDeniedException e) {
            throw new KmsException.Misconfigured("cannot read " + source + ": permission denied", e);
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot read " + source + ": " + e, e);
        }
    }

    private static void warnIfOthersCanRead(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.log(Level.WARNING, "{0} can be read by other users; chmod 600 it", file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Not a POSIX file system, or unreadable metadata: reading the PIN will report what matters.
        }
    }

    private static void createPrivateDirectory(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            Files.createDirectories(path, PosixFilePermissions.asFileAttribute(OWNER_DIR));
        }
    }

    private static Path tokenDirectoryOf(Path conf) {
        try {
            Matcher m = TOKENDIR.matcher(Files.readString(conf, StandardCharsets.UTF_8));
            if (!m.find()) {
                throw new KmsException.Misconfigured(conf + " names no directories.tokendir");
            }
            return Path.of(m.group(1)).toAbsolutePath().normalize();
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot read the SoftHSM configuration " + conf + ": " + e, e);
        }
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.equals(b);
        }
    }

    /** A PIN and where it came from (named in errors; the PIN itself never is). */
    record Pin(char[] value, String source) {
        @Override
        public String toString() {
            return "Pin[from " + source + "]";
        }
    }
}
