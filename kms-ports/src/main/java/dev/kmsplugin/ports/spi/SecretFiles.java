package dev.kmsplugin.ports.spi;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Checks on files and directories that hold secrets (PIN files, azure.json, client certificates, the simulator's
 * token directory): such a file readable by group or others is one copy away from a leak, so providers warn.
 */
public final class SecretFiles {

    private static final Logger LOG = System.getLogger(SecretFiles.class.getName());
    private static final Set<PosixFilePermission> SHARED = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecretFiles() {
    }

    /**
     * The warning for {@code path} when group or others have any access to it, or empty; names the path and the
     * fix, never the content.
     */
    public static Optional<String> exposure(Path path, String what) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
            Set<PosixFilePermission> shared = EnumSet.noneOf(PosixFilePermission.class);
            permissions.stream().filter(SHARED::contains).forEach(shared::add);
            if (shared.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(what + " " + path + " is accessible to group or others ("
                    + PosixFilePermissions.toString(permissions) + "); it holds secrets: run "
                    + "'chmod " + (Files.isDirectory(path) ? "700" : "600") + " " + path + "'");
        } catch (UnsupportedOperationException | IOException e) {
            return Optional.empty();
        }
    }

    /** Logs {@link #exposure} as a warning. */
    public static void warnIfExposed(Path path, String what) {
        exposure(path, what).ifPresent(warning -> LOG.log(Level.WARNING, warning));
    }
}
