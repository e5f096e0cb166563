package dev.kmsplugin.adapter.grpc.socket;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.TrustedDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Whether a socket's parent directory can be trusted: another user who can write to it could swap the private bind
 * directory before the socket is published, or squat the socket's path before the plugin starts and receive every
 * data key kube-apiserver sends. A parent must be owned by this process's user or root, and must not be writable by
 * group or others, sticky bit or not: in a sticky directory such as /tmp another user cannot rename this plugin's
 * files, but can create the socket path first. The check itself is {@link TrustedDirectory}'s, which the simulator
 * applies to its directory too; the messages here speak of the socket.
 */
final class DirectoryTrust {

    private DirectoryTrust() {
    }

    static void requireTrusted(Path directory) throws IOException {
        Optional<TrustedDirectory.Doubt> doubt = TrustedDirectory.doubt(directory);
        if (doubt.isEmpty()) {
            return;
        }
        if (doubt.get() instanceof TrustedDirectory.SymbolicLink) {
            throw new KmsException.Misconfigured("the socket directory " + directory + " is a symbolic link; whoever"
                    + " can change the link could point the socket elsewhere. Name the real directory in the"
                    + " socket's path");
        }
        if (doubt.get() instanceof TrustedDirectory.ForeignOwner foreign) {
            throw new KmsException.Misconfigured("the socket directory " + directory + " is owned by uid "
                    + foreign.owner() + ", not by this plugin's uid " + foreign.self() + " or root; another user could"
                    + " replace the socket. Use a directory owned by the plugin's user or root");
        }
        TrustedDirectory.SharedWrite shared = (TrustedDirectory.SharedWrite) doubt.get();
        throw new KmsException.Misconfigured("the socket directory " + directory + " is writable by group or"
                + " others (mode " + shared.octal() + "); another user could create the"
                + " socket's path before this plugin and receive the apiserver's data keys. Use a directory only"
                + " the plugin's user (or root) can write to, e.g. /var/run/kmsplugin (mode 0700 or 0755)");
    }

    /** The identity of a directory that must not change: inode and device, owner and permissions. */
    static Object key(Path directory) throws IOException {
        return List.of(String.valueOf(Files.readAttributes(directory,
                java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey()),
                Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS),
                Files.getAttribute(directory, "unix:mode", LinkOption.NOFOLLOW_LINKS));
    }

    /** This process's effective uid: the owner of /proc/self. */
    static int currentUid() throws IOException {
        return TrustedDirectory.currentUid();
    }
}
