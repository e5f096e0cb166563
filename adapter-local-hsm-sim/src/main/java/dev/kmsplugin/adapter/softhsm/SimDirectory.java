package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.SecretFiles;
import dev.kmsplugin.ports.spi.TrustedDirectory;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The simulator directory: {@code softhsm2.conf}, the token files under {@code tokens/}, and the PIN files, all
 * private to the user running the plugin.
 *
 * <p>SoftHSM reads {@code SOFTHSM2_CONF} once, when its library loads, and a JVM cannot change its own environment:
 * {@code bin/kms-plugin} therefore exports {@code SOFTHSM2_CONF=<sim-dir>/softhsm2.conf} before Java starts. This
 * class writes that file when it is missing, so the first start of a fresh directory works.
 */
final class SimDirectory {

    static final String CONF_ENV = "SOFTHSM2_CONF";
    static final String PIN_ENV = "KMS_SIM_PIN";

    private final SimSettings settings;
    private final Map<String, String> env;
    private boolean created;

    SimDirectory(SimSettings settings, Map<String, String> env) {
        this.settings = settings;
        this.env = env;
    }

    Path path() {
        return settings.directory();
    }

    /**
     * Fails unless only this process's user (or root) can change the directory and what the plugin reads in it:
     * the directory and its {@code tokens/} must be real directories of that user or root that group and others
     * cannot write to, and {@code softhsm2.conf}, the PIN files and {@code tokens/} must not be symbolic links.
     * Another user who owns the directory, or can swap a file in it, could run a plugin on the same token, or make
     * this one use their token and PIN. Runs on every open.
     */
    void requireTrusted() {
        TrustedDirectory.requireTrusted(path(), "the simulator directory", SimSettings.flag("dir"));
        for (String name : new String[] {"softhsm2.conf", "user.pin", "so.pin", "tokens"}) {
            TrustedDirectory.requireNotSymbolicLink(path().resolve(name), "the simulator's " + name,
                    SimSettings.flag("dir"));
        }
        if (isInDirectory(settings.pinPath(), path())) {
            TrustedDirectory.requireNotSymbolicLink(settings.pinPath(), "the PIN file", SimSettings.flag("pin-file"));
        }
        Path tokens = path().resolve("tokens");
        if (Files.exists(tokens, LinkOption.NOFOLLOW_LINKS)) {
            TrustedDirectory.requireTrusted(tokens, "the simulator's token directory", SimSettings.flag("dir"));
        }
    }

    /** True when {@link #prepareConf} made the directory because it did not exist. */
    boolean created() {
        return created;
    }

    /** The SoftHSM configuration this process uses, created with the directory's defaults when missing. */
    Path prepareConf() {
        Path expected = path().resolve("softhsm2.conf");
        created = !Files.exists(path(), LinkOption.NOFOLLOW_LINKS);
        createPrivateDirectory(path());
        requireTrusted();
        String fromEnv = env.get(CONF_ENV);
        if (fromEnv == null || fromEnv.isBlank()) {
            throw new KmsException.Misconfigured(CONF_ENV + " is not set. SoftHSM reads it when its library loads,"
                    + " before Java can set it: start the plugin with bin/kms-plugin, which exports "
                    + CONF_ENV + "=" + expected + " from " + SimSettings.flag("dir") + ", or export it yourself");
        }
        Path conf = Path.of(fromEnv).toAbsolutePath();
        if (!Files.exists(conf) && isInside(conf, path())) {
            Path tokens = path().resolve("tokens");
            createPrivateDirectory(tokens);
            write(conf, "# SoftHSM2 configuration of the kms-plugin simulator\n"
                    + "directories.tokendir = " + tokens + "\n"
                    + "objectstore.backend = file\n"
                    + "log.level = ERROR\n"
                    + "slots.removable = false\n", false);
        }
        if (!Files.isReadable(conf)) {
            throw new KmsException.Misconfigured(CONF_ENV + "=" + conf + " does not exist or cannot be read");
        }
        return conf;
    }

    // The launcher spells the directory through `pwd -P`, Java through user.dir: compare the real directories.
    private static boolean isInside(Path conf, Path directory) {
        return conf.getFileName().toString().equals("softhsm2.conf") && isInDirectory(conf, directory);
    }

    private static boolean isInDirectory(Path file, Path directory) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            return parent != null && Files.isSameFile(parent, directory);
        } catch (IOException e) {
            return false;
        }
    }

    /** The user PIN: {@code KMS_SIM_PIN} when set, else the PIN file. */
    String userPin() {
        String fromEnv = env.get(PIN_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        Path file = settings.pinPath();
        if (!Files.exists(file)) {
            throw new KmsException.Misconfigured("no user PIN: " + file + " does not exist and " + PIN_ENV
                    + " is not set; run 'kms-plugin sim init " + SimSettings.flag("dir") + "=" + path()
                    + "' to create a token and its PIN");
        }
        if (isInDirectory(file, path())) {
            TrustedDirectory.requireNotSymbolicLink(file, "the PIN file", SimSettings.flag("pin-file"));
        }
        SecretFiles.warnIfExposed(file, "the PIN file");
        SecretFiles.warnIfExposed(path(), "the simulator directory");
        try {
            String pin = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (pin.length() < 4) {
                throw new KmsException.Misconfigured("the PIN file " + file
                        + " holds no usable PIN (4 characters or more)");
            }
            return pin;
        } catch (AccessDeniedException e) {
            throw new KmsException.Misconfigured("cannot read the PIN file " + file + ": permission denied");
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot read the PIN file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The user PIN, generating one (stored 0600) when neither the environment nor the PIN file has one. */
    String userPinCreatingIfAbsent() {
        if ((env.get(PIN_ENV) == null || env.get(PIN_ENV).isBlank()) && !Files.exists(settings.pinPath())) {
            write(settings.pinPath(), randomPin() + "\n", true);
        }
        return userPin();
    }

    /** A fresh security-officer PIN, kept (0600) so the token can be administered later. */
    String newSoPin() {
        String pin = randomPin();
        write(path().resolve("so.pin"), pin + "\n", true);
        return pin;
    }

    /**
     * Holds the directory's administrative lock while token-changing work runs (initialisation, rotation), so two
     * commands never interleave. Fails at once when another process holds it.
     */
    AdminLock lock() {
        createPrivateDirectory(path());
        requireTrusted();
        Path lockFile = path().resolve(".lock");
        try {
            FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    return new AdminLock(channel, lock);
                }
            } catch (OverlappingFileLockException e) {
                // held by this very process
            }
            channel.close();
            throw new KmsException.Misconfigured(path() + " is locked by another kms-plugin sim command;"
                    + " wait for it to finish and try again");
        } catch (AccessDeniedException e) {
            throw new KmsException.Misconfigured("cannot write to " + path() + ": permission denied");
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot lock " + lockFile + ": " + e.getMessage(), e);
        }
    }

    /** The administrative lock; closing releases it. */
    record AdminLock(FileChannel channel, FileLock lock) implements AutoCloseable {

        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // the lock dies with the channel anyway
            }
        }
    }

    private static String randomPin() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void createPrivateDirectory(Path directory) {
        try {
            if (!Files.isDirectory(directory)) {
                Files.createDirectories(directory,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (AccessDeniedException e) {
            throw new KmsException.Misconfigured("cannot create " + directory + ": permission denied");
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot create " + directory + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String content, boolean secret) {
        try {
            Optional<Path> parent = Optional.ofNullable(file.getParent());
            parent.ifPresent(SimDirectory::createPrivateDirectory);
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r-----")));
            Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
