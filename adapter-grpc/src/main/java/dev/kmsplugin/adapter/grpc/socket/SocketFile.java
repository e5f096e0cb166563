package dev.kmsplugin.adapter.grpc.socket;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * The life of a socket file, so that kube-apiserver never connects to a socket that cannot answer yet and no two
 * plugins fight over one path.
 *
 * <ol>
 *   <li>{@link #claim}: create missing parent directories (owner only, plus search access for whoever the socket
 *       mode admits); refuse when a live server answers on the path or when the path is not a socket; remove a
 *       stale socket left by a dead process.</li>
 *   <li>The server binds at {@link #bindPath()}, inside a fresh private directory next to the final path, so the
 *       socket cannot be reached while its mode is still the umask's.</li>
 *   <li>{@link #publish}: set the mode, then hard-link the socket to its final path. {@code link(2)} fails when the
 *       path exists, so a plugin that raced us is never replaced. The socket appears only once it answers.</li>
 *   <li>{@link #remove}: delete the final path on shutdown, but only while it is still our socket.</li>
 * </ol>
 */
public final class SocketFile {

    private static final Logger LOG = System.getLogger(SocketFile.class.getName());
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path path;
    private final Set<PosixFilePermission> mode;
    private final Path bindDirectory;
    private Object publishedKey;
    private Object bindDirectoryKey;

    private SocketFile(Path path, Set<PosixFilePermission> mode, Path bindDirectory) {
        this.path = path;
        this.mode = mode;
        this.bindDirectory = bindDirectory;
    }

    /** Makes {@code path} ready to be served; fails with a message that names the path and what to do. */
    public static SocketFile claim(Path path, Set<PosixFilePermission> mode) {
        Objects.requireNonNull(path, "path");
        Set<PosixFilePermission> socketMode = Set.copyOf(mode);
        Path parent = path.toAbsolutePath().getParent();
        try {
            if (!Files.isDirectory(parent)) {
                Path top = parent;
                while (top.getParent() != null && !Files.exists(top.getParent(), LinkOption.NOFOLLOW_LINKS)) {
                    top = top.getParent();
                }
                Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(directoryMode(socketMode)));
                // One line, at the default verbosity: what was made, where, and how open it is.
                LOG.log(Level.INFO, "the socket directory {0} did not exist: created it{1} with mode {2}", parent,
                        top.equals(parent) ? "" : " (and the missing directories from " + top + " down)",
                        PosixFilePermissions.toString(directoryMode(socketMode)));
            }
            // A live socket of another user is an impostor whatever the directory: say so before anything else.
            if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                removeIfStale(path);
            }
            DirectoryTrust.requireTrusted(parent);
            Path bindDirectory = parent.resolve(".kms-" + HexFormat.of().formatHex(randomBytes(4)));
            Files.createDirectory(bindDirectory,
                    PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ,
                            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
            SocketFile file = new SocketFile(path, socketMode, bindDirectory);
            file.bindDirectoryKey = DirectoryTrust.key(bindDirectory);
            if (file.bindPath().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    > ListenAddress.MAX_PATH_BYTES) {
                file.discardBindDirectory();
                throw new KmsException.Misconfigured("the socket directory " + parent + " is too deep for a unix"
                        + " socket (at most " + (ListenAddress.MAX_PATH_BYTES - 14) + " bytes); choose a shorter path");
            }
            return file;
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot prepare socket " + path + ": " + describe(e)
                    + "; check that the plugin may write to " + parent, e);
        }
    }

    /** Where the server binds before the socket is published. */
    public Path bindPath() {
        return bindDirectory.resolve("s");
    }

    public Path path() {
        return path;
    }

    /** Gives the bound socket its mode and makes it appear at its final path. */
    public void publish() {
        Path bound = bindPath();
        try {
            // Java cannot chmod or link relative to an open directory descriptor; instead the private directory
            // must still be the one created at claim (same inode, ours, 0700) before its socket is touched.
            if (!DirectoryTrust.key(bindDirectory).equals(bindDirectoryKey)) {
                throw new KmsException.Misconfigured("the private bind directory " + bindDirectory + " was replaced"
                        + " while this plugin was starting; check who else can write to " + path.getParent());
            }
            Files.setPosixFilePermissions(bound, mode);
            Files.createLink(path, bound);
            publishedKey = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (FileAlreadyExistsException e) {
            throw new KmsException.Misconfigured("another process created " + path
                    + " while this plugin was starting; run one plugin per socket");
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot publish socket " + path + ": " + describe(e), e);
        } finally {
            discardBindDirectory();
        }
    }

    /** Deletes the published socket, unless another process has replaced it since. */
    public void remove() {
        discardBindDirectory();
        if (publishedKey == null) {
            return;
        }
        try {
            Object current = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey();
            if (publishedKey.equals(current)) {
                Files.delete(path);
            } else {
                LOG.log(Level.WARNING, "not removing {0}: another process replaced this plugin''s socket", path);
            }
        } catch (NoSuchFileException e) {
            // already gone: someone cleaned up for us
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove socket {0}: {1}", path, describe(e));
        } finally {
            publishedKey = null;
        }
    }

    private void discardBindDirectory() {
        try {
            Files.deleteIfExists(bindPath());
            Files.deleteIfExists(bindDirectory);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove {0}: {1}", bindDirectory, describe(e));
        }
    }

    private static void removeIfStale(Path path) throws IOException {
        int fileMode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((fileMode & S_IFMT) != S_IFSOCK) {
            throw new KmsException.Misconfigured(path + " exists and is not a socket; refusing to replace it."
                    + " Remove it or choose another --listen-addr");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int self = DirectoryTrust.currentUid();
            if (owner != self && owner != 0) {
                String message = "IMPOSTOR on " + path + ": a process of another user (socket owned by uid " + owner
                        + ") serves there, and kube-apiserver may be sending it data keys. Stop that"
                        + " process and remove " + path + ", move the socket to a directory only the plugin's user"
                        + " can write to, and rotate the key-encryption key if the apiserver used that socket";
                LOG.log(Level.ERROR, message);
                throw new KmsException.Misconfigured(message);
            }
            throw new KmsException.Misconfigured("another kms-plugin (or another process of this user) is serving"
                    + " on " + path + "; stop it first or choose another --listen-addr (its socket was"
                    + " left untouched)");
        } catch (ConnectException refused) {
            Files.delete(path);
            LOG.log(Level.INFO, "removed stale socket {0} left by a process that is gone", path);
        }
    }

    /** Owner rwx; search (x) for group and others only if the socket mode lets them connect. */
    static Set<PosixFilePermission> directoryMode(Set<PosixFilePermission> socketMode) {
        Set<PosixFilePermission> directory = EnumSet.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
        if (socketMode.contains(PosixFilePermission.GROUP_WRITE)) {
            directory.add(PosixFilePermission.GROUP_EXECUTE);
        }
        if (socketMode.contains(PosixFilePermission.OTHERS_WRITE)) {
            directory.add(PosixFilePermission.OTHERS_EXECUTE);
        }
        return directory;
    }

    /** Parses an octal mode such as {@code 0600} or {@code 660}. */
    public static Set<PosixFilePermission> parseMode(String octal) {
        String digits = octal.trim();
        if (!digits.matches("0?[0-7]{3}")) {
            throw new KmsException.Misconfigured("socket mode '" + octal + "' is not an octal mode such as 0600");
        }
        int value = Integer.parseInt(digits, 8);
        if ((value & 0600) != 0600) {
            throw new KmsException.Misconfigured("socket mode " + octal
                    + " must let the owner read and write, or the plugin's own health check cannot connect");
        }
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        Set<PosixFilePermission> mode = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < bits.length; i++) {
            if ((value & (0400 >> i)) != 0) {
                mode.add(bits[i]);
            }
        }
        return mode;
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
    }
}
