package dev.kmsplugin.app.ops.http;

import dev.kmsplugin.domain.failure.KmsException;
import java.net.InetSocketAddress;

/**
 * A TCP address for an operations endpoint. Accepts {@code PORT} (loopback, the Go plugin's bare-port form),
 * {@code :PORT} (every interface, as Go's {@code net.Listen} reads it), {@code HOST:PORT} and {@code [V6]:PORT}.
 * Port 0 asks the kernel for a free port; the bound port is then logged.
 */
public record OpsAddress(String host, int port) {

    public static final String LOOPBACK = "127.0.0.1";

    public OpsAddress {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 0-65535");
        }
    }

    /** A host and port from separate settings; a port outside 0-65535 is a configuration error. */
    public static OpsAddress of(String host, int port, String setting) {
        if (port < 0 || port > 65535 || host.isBlank()) {
            throw new KmsException.Misconfigured(setting + " is '" + host + "' port " + port
                    + "; expected a host or IP address and a port from 0 to 65535");
        }
        return new OpsAddress(host.trim(), port);
    }

    /**
     * Parses {@code text}; {@code setting} names the flag or path for the error message.
     *
     * @throws KmsException.Misconfigured when the text is not one of the accepted forms
     */
    public static OpsAddress parse(String text, String setting) {
        String value = text.trim();
        try {
            if (value.matches("\\d+")) {
                return new OpsAddress(LOOPBACK, Integer.parseInt(value));
            }
            int colon = value.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("no port");
            }
            String host = value.substring(0, colon);
            int port = Integer.parseInt(value.substring(colon + 1));
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw new IllegalArgumentException("IPv6 hosts need brackets");
            }
            return new OpsAddress(host.isEmpty() ? "0.0.0.0" : host, port);
        } catch (IllegalArgumentException e) {
            throw new KmsException.Misconfigured(setting + " is '" + text + "'; expected PORT, :PORT, HOST:PORT or"
                    + " [IPv6]:PORT with a port from 0 to 65535");
        }
    }

    InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * The warning for an address that is not loopback: the endpoint is then reachable from other hosts (the
     * wildcard address listens on every interface, IPv6 included), which its operator should have chosen knowingly.
     */
    public java.util.Optional<String> exposure(String name, String setting) {
        java.net.InetAddress bound = socketAddress().getAddress();
        if (bound != null && bound.isLoopbackAddress()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(name + " endpoint listens on " + this + ", which is not loopback"
                + (bound != null && bound.isAnyLocalAddress() ? " (every interface, IPv6 included)" : "")
                + ": other hosts can reach it; unless that is intended, set " + setting + " to 127.0.0.1");
    }
}
