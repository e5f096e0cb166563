package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The versions retired with {@code kms-plugin sim retire}: {@code <sim-dir>/retired-versions}, one version number a
 * line, mode 0600, always replaced whole (written beside it, then renamed), so a running plugin never reads half a
 * file. Retiring leaves the token object, its label and so its key_id untouched: restoring only edits this file.
 */
final class RetiredVersions {

    static final String FILE = "retired-versions";
    private static final String HEADER = "# key versions retired by 'kms-plugin sim retire'; undo with"
            + " 'kms-plugin sim restore VERSION'\n";

    private RetiredVersions() {
    }

    /** The retired version numbers; none when the file does not exist. */
    static Set<String> read(Path directory) {
        Path file = directory.resolve(FILE);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Set.of();
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot read " + file + ": " + e.getMessage(), e);
        }
        Set<String> versions = new TreeSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (!line.matches("[1-9][0-9]{0,8}")) {
                throw new KmsException.Misconfigured(file + " line " + (i + 1) + " is not a key version number;"
                        + " fix or remove the line (restore with 'kms-plugin sim restore VERSION')");
            }
            versions.add(line);
        }
        return Set.copyOf(versions);
    }

    /** Replaces the file with {@code versions}, atomically. */
    static void write(Path directory, Set<String> versions) {
        Path file = directory.resolve(FILE);
        StringBuilder content = new StringBuilder(HEADER);
        new TreeSet<>(versions).forEach(v -> content.append(v).append('\n'));
        try {
            Path next = Files.createTempFile(directory, FILE + ".", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(next, content, StandardCharsets.UTF_8);
                try {
                    Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(next);
            }
        } catch (IOException e) {
            throw new KmsException.Misconfigured("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The refusal a Decrypt under a retired version gets (FAILED_PRECONDITION on the wire). */
    static KmsException refusal(SimSettings settings, String version) {
        // The caller sees this message: it names the command, not the simulator's directory.
        return new KmsException.UnknownKeyVersion("key version " + settings.keyName() + "/" + version
                + " is retired; if stored data still needs it, restore it with 'kms-plugin sim restore " + version
                + "' and the serving plugin's " + SimSettings.flag("dir"));
    }
}
