package dev.kmsplugin.ports.spi;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Whether a directory that holds secrets or a socket can be trusted: only this process's user (or root) may be able
 * to change what is in it. Another user who owns it, or who may write to it (sticky bit or not: in a sticky directory
 * another user cannot rename this plugin's files, but can create a path first), or who can change a symbolic link
 * standing in its place, can read or replace what the plugin relies on. Looked at without following links.
 *
 * <p>Messages name the path, its owner or mode and the fix; they never show a file's content.
 */
public final class TrustedDirectory {

    private static final int GROUP_OR_OTHERS_WRITE = 0022;

    /** Why a directory is not trusted. */
    public sealed interface Doubt permits SymbolicLink, ForeignOwner, SharedWrite {
        Path path();
    }

    /** The path is a symbolic link, which whoever may change it can point elsewhere. */
    public record SymbolicLink(Path path) implements Doubt {
    }

    /** The directory belongs to {@code owner}, neither this process's uid {@code self} nor root. */
    public record ForeignOwner(Path path, int owner, int self) implements Doubt {
    }

    /** Group or others may write to the directory; {@code mode} holds the permission and sticky bits. */
    public record SharedWrite(Path path, int mode) implements Doubt {
        /** The mode as {@code chmod} spells it, e.g. {@code 1777}. */
        public String octal() {
            return String.format("%04o", mode & 07777);
        }
    }

    private TrustedDirectory() {
    }

    /** What makes {@code directory} untrusted, the first of: a symbolic link, a foreign owner, a shared write bit. */
    public static Optional<Doubt> doubt(Path directory) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(directory, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (attributes.isSymbolicLink()) {
            return Optional.of(new SymbolicLink(directory));
        }
        int owner = (Integer) Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int self = currentUid();
        if (owner != self && owner != 0) {
            return Optional.of(new ForeignOwner(directory, owner, self));
        }
        int mode = (Integer) Files.getAttribute(directory, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & GROUP_OR_OTHERS_WRITE) != 0) {
            return Optional.of(new SharedWrite(directory, mode & 07777));
        }
        return Optional.empty();
    }

    /**
     * Fails unless {@code directory} is a real directory that only this process's user or root can change.
     *
     * @param what what the directory is, for the message ("the simulator directory")
     * @param flag the option that chooses it, for the message ("--sim-dir")
     */
    public static void requireTrusted(Path directory, String what, String flag) {
        Optional<Doubt> doubt;
        try {
            doubt = doubt(directory);
        } catch (NoSuchFileException e) {
            throw new KmsException.Misconfigured(what + " " + directory + " does not exist (" + flag + ")");
        } catch (IOException | UnsupportedOperationException e) {
            throw new KmsException.Misconfigured("cannot check the owner and mode of " + what + " " + directory
                    + ": " + e.getMessage(), e);
        }
        if (doubt.isEmpty()) {
            if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                throw new KmsException.Misconfigured(what + " " + directory + " is not a directory; set " + flag
                        + " to a directory");
            }
            return;
        }
        throw new KmsException.Misconfigured(message(doubt.get(), what, flag));
    }

    private static String message(Doubt doubt, String what, String flag) {
        if (doubt instanceof SymbolicLink link) {
            return what + " " + link.path() + " is a symbolic link; whoever can change the link can point this"
                    + " plugin at other files. Set " + flag + " to the real directory"
                    + realPath(link.path()).map(p -> " (" + p + ")").orElse("");
        }
        if (doubt instanceof ForeignOwner foreign) {
            return what + " " + foreign.path() + " is owned by uid " + foreign.owner() + ", not by this plugin's uid "
                    + foreign.self() + " or root; its owner can read and replace everything in it. Use a directory of"
                    + " the plugin's user (" + flag + "), or give it to that user: chown -R " + foreign.self() + " "
                    + foreign.path();
        }
        SharedWrite shared = (SharedWrite) doubt;
        return what + " " + shared.path() + " is writable by group or others (mode " + shared.octal() + "); they can"
                + " replace what the plugin reads there. Run 'chmod 700 " + shared.path() + "', or use another"
                + " directory (" + flag + ")";
    }

    /** Fails when {@code file} is a symbolic link; a missing file passes. */
    public static void requireNotSymbolicLink(Path file, String what, String flag) {
        if (Files.isSymbolicLink(file)) {
            throw new KmsException.Misconfigured(what + " " + file + " is a symbolic link; whoever can change the link"
                    + " can make the plugin read their file. Replace it with the file itself (" + flag + ")");
        }
    }

    /** This process's effective uid: the owner of /proc/self. */
    public static int currentUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    private static Optional<Path> realPath(Path link) {
        try {
            return Optional.of(link.toRealPath());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
