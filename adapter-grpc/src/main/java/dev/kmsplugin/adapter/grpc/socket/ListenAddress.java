package dev.kmsplugin.adapter.grpc.socket;

import dev.kmsplugin.domain.failure.KmsException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the plugin listens: {@code unix:///absolute/path} for a socket file, or {@code unix:///@name} (also
 * {@code unix://@name}) for a Linux abstract socket, which has no file and therefore no permissions.
 */
public final class ListenAddress {

    /** {@code sun_path} holds 108 bytes on Linux, including the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;
    private static final String SCHEME = "unix://";

    private final String text;
    private final Path path;
    private final String abstractName;

    private ListenAddress(String text, Path path, String abstractName) {
        this.text = text;
        this.path = path;
        this.abstractName = abstractName;
    }

    /** Parses the {@code --listen-addr} value; fails with a message that shows the accepted form. */
    public static ListenAddress parse(String text) {
        Objects.requireNonNull(text, "text");
        String value = text.trim();
        if (!value.startsWith(SCHEME)) {
            String hint = value.startsWith("/") ? "; write unix://" + value : "";
            throw new KmsException.Misconfigured("listen address '" + value
                    + "' is not supported: only unix domain sockets are, as unix:///path/to/kms.socket" + hint);
        }
        String rest = value.substring(SCHEME.length());
        if (rest.startsWith("@") || rest.startsWith("/@")) {
            String name = rest.substring(rest.indexOf('@') + 1);
            if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES - 1) {
                throw new KmsException.Misconfigured("abstract socket name in '" + value
                        + "' must have 1 to " + (MAX_PATH_BYTES - 1) + " bytes");
            }
            return new ListenAddress(SCHEME + "/@" + name, null, name);
        }
        if (!rest.startsWith("/") || rest.length() == 1) {
            throw new KmsException.Misconfigured("listen address '" + value
                    + "' needs an absolute socket path, as unix:///path/to/kms.socket (three slashes)");
        }
        Path path = Path.of(rest).normalize();
        int length = path.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_PATH_BYTES) {
            throw new KmsException.Misconfigured("socket path " + path + " is " + length + " bytes long; unix sockets"
                    + " allow at most " + MAX_PATH_BYTES + "; choose a shorter path");
        }
        return new ListenAddress(SCHEME + path, path, null);
    }

    public boolean isAbstract() {
        return abstractName != null;
    }

    /** The socket file; only for addresses that are not abstract. */
    public Path path() {
        if (path == null) {
            throw new IllegalStateException("an abstract socket has no file");
        }
        return path;
    }

    /** The name Netty binds or connects to: the path, or NUL followed by the abstract name. */
    public String socketName() {
        return isAbstract() ? "\0" + abstractName : path.toString();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ListenAddress that && text.equals(that.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** The canonical {@code unix://} form. */
    @Override
    public String toString() {
        return text;
    }
}
